"""Bargain (砍价): friends cut a price down to a floor, which the starter then buys at."""
