"""Pages of pricing."""
