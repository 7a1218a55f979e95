"""Back office for notifications."""
