"""Offline evaluation of the recommenders on public datasets with a time-based split."""
