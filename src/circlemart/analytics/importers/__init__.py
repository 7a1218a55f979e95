"""Importers of public data sets into the platform (the UCI Online Retail import)."""
