"""Coupons and vouchers, automatic threshold discounts (满减/满折) and member prices."""
