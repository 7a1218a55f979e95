"""Back office for promotions."""
