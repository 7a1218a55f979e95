"""Error codes of flash sales (the `code` in API error bodies)."""

FLASH_NOT_FOUND = "flash_not_found"  # unknown item, or its session is switched off
FLASH_NOT_STARTED = "flash_not_started"
FLASH_ENDED = "flash_ended"
FLASH_SOLD_OUT = "flash_sold_out"
FLASH_NOT_ENOUGH_LEFT = "flash_not_enough_left"  # fewer units left than asked for
FLASH_LIMIT_REACHED = "flash_limit_reached"  # the buyer would hold more than the per-user limit
FLASH_WRONG_ITEM = "flash_wrong_item"  # the order's lines do not carry the flash item's SKU
