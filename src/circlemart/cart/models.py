"""Tables of cart."""
