"""Back office for pricing."""
