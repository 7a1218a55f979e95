"""Error codes of the catalog."""

SLUG_TAKEN = "slug_taken"
CODE_TAKEN = "code_taken"
CATEGORY_CYCLE = "category_cycle"
DUPLICATE_OPTIONS = "duplicate_options"
INVALID_PRICE = "invalid_price"
NO_SKUS = "no_skus"
IMAGE_INVALID = "image_invalid"
