"""Pages of cart."""
