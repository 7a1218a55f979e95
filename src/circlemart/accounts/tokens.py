"""Shape of API tokens: a readable prefix (for secret scanners) and the stored digest."""

import hashlib

ACCESS_PREFIX = "cma_"
REFRESH_PREFIX = "cmr_"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
