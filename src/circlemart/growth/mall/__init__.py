"""The points mall (积分商城): coupons and gifts redeemed for points."""
