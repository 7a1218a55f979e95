"""Reads of the recommend app; import the submodules (surfaces, versions, stats)."""
