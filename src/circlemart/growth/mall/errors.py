"""Error codes of the points mall (stable: clients switch on them)."""

ITEM_NOT_FOUND = "mall_item_not_found"  # 404
ITEM_NOT_AVAILABLE = "mall_item_not_available"  # 409: not started yet or ended
SOLD_OUT = "mall_sold_out"  # 409
LIMIT_REACHED = "mall_limit_reached"  # 409: the per-user limit of this item
ADDRESS_REQUIRED = "address_required"  # 400: a gift needs a shipping address
ADDRESS_NOT_FOUND = "address_not_found"  # 404
BAD_TRANSITION = "mall_bad_transition"  # 409: a fulfilment step that does not follow
