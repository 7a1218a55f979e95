"""Back office for reviews."""
