"""A minimal django-oscar 4.2 project: the peer that bench/catalog_vs_oscar.py measures."""
