"""Promotions: coupons, threshold discounts and member prices (flash sales, group buy next)."""
