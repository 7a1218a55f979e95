"""Client tracking: consent, anonymous ids, visits and their traffic source, bots, identity."""
