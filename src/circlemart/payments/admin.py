"""Back office for payments."""
