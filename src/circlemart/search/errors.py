"""Error codes of search."""

INVALID_SORT = "invalid_sort"
INVALID_PRICE = "invalid_price"
