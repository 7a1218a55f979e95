"""Tables of pricing."""
