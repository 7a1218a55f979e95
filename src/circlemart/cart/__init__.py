"""Shopping carts: a guest cart in the session, merged into the user's cart on sign-in."""
