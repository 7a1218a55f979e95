"""Error codes of promotions (the `code` in API error bodies)."""

# Choosing coupons at checkout (field "coupon_ids")
COUPON_NOT_FOUND = "coupon_not_found"  # unknown or someone else's: the same answer for both
COUPON_EXPIRED = "coupon_expired"
COUPON_NOT_STARTED = "coupon_not_started"
COUPON_USED = "coupon_used"  # used, or held by another (unpaid) order
COUPON_BELOW_THRESHOLD = "coupon_below_threshold"
COUPON_NOT_APPLICABLE = "coupon_not_applicable"  # nothing in the basket is in its scope
COUPON_NEW_USERS_ONLY = "coupon_new_users_only"
COUPON_NOT_STACKABLE = "coupon_not_stackable"  # two coupons of one stacking group
COUPON_USES_EXHAUSTED = "coupon_uses_exhausted"  # the campaign's total uses are spent
INVALID_COUPON_IDS = "invalid_coupon_ids"
COUPON_SIGN_IN = "coupon_sign_in"

# Claiming and redeeming
TEMPLATE_NOT_FOUND = "coupon_template_not_found"
NOT_CLAIMABLE = "coupon_not_claimable"  # inactive, not public, outside its claim window
SOLD_OUT = "coupon_sold_out"
CLAIM_LIMIT = "coupon_claim_limit"
CODE_INVALID = "coupon_code_invalid"
CODE_USED_UP = "coupon_code_used_up"
CODE_ALREADY_REDEEMED = "coupon_code_already_redeemed"
