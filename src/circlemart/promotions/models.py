"""Tables of promotions."""
