"""Promotions: coupons, flash sales, group buy and bargains — one Django app, one sub-package per
mechanism (coupons/, flash/, group/, bargain/)."""
