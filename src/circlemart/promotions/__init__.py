"""Promotions: coupons, threshold discounts, member prices (flash sales, group buy, bargain next)."""
