"""Sensitive-word filter, sanitising, the review queue and user reports."""
