"""Pages of promotions."""
