"""Error codes of the games (stable: clients switch on them)."""

GAME_NOT_FOUND = "game_not_found"  # 404: no such game, or not live
GAME_NOT_STARTED = "game_not_started"  # 409
GAME_ENDED = "game_ended"  # 409
NO_CHANCES = "no_chances"  # 409: today's free chances and extra chances are used up
CHANCES_NOT_FOR_SALE = "chances_not_for_sale"  # 409
BUY_LIMIT_REACHED = "chance_buy_limit_reached"  # 409: bought as many as allowed today
INVALID_COUNT = "invalid_count"  # 400
