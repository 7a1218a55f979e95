"""Error codes of bargains (the `code` in API error bodies)."""

# Starting (field "deal_id")
BARGAIN_DEAL_NOT_FOUND = "bargain_deal_not_found"  # unknown, or switched off
BARGAIN_DEAL_NOT_STARTED = "bargain_deal_not_started"
BARGAIN_DEAL_ENDED = "bargain_deal_ended"
BARGAIN_UNAVAILABLE = "bargain_unavailable"  # the SKU is not on sale, or too close to the floor
BARGAIN_ALREADY_STARTED = "bargain_already_started"  # one live bargain per user per deal
BARGAIN_START_LIMIT = "bargain_start_limit"  # the user started the most bargains allowed

# Helping and buying (field "bargain_id")
BARGAIN_NOT_FOUND = "bargain_not_found"  # unknown, or (buying) someone else's
BARGAIN_OWN = "bargain_own"  # the starter cannot help their own bargain
BARGAIN_ALREADY_HELPED = "bargain_already_helped"
BARGAIN_EXPIRED = "bargain_expired"  # its window is over (or its deal was switched off)
BARGAIN_FLOOR_REACHED = "bargain_floor_reached"  # no cut left to make
BARGAIN_PURCHASED = "bargain_purchased"  # bought already: no more cuts, no second order
BARGAIN_FLOOR_NOT_REACHED = "bargain_floor_not_reached"  # the deal sells at the floor only
BARGAIN_BUSY = "bargain_busy"  # too many cuts at once; try again
BARGAIN_PRICE_CHANGED = "bargain_price_changed"  # a cut landed while the order was written
BARGAIN_ONE_UNIT = "bargain_one_unit"  # field "quantity"
BARGAIN_WRONG_ITEM = "bargain_wrong_item"  # the order does not carry the bargain's SKU
