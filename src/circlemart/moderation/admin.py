"""Back office for moderation."""
