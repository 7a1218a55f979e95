"""Back office for orders."""
