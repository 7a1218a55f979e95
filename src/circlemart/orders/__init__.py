"""Checkout, the order state machine, shipping, auto-cancel and after-sales."""
