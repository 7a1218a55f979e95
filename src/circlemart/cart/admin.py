"""Back office for cart."""
