"""The price engine: quotes with every adjustment explained; shipping rules."""
