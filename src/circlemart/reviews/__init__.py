"""Product reviews by verified buyers, follow-up reviews, helpful votes and Q&A."""
