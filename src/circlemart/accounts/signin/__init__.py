"""Password sign-in guard: the device a browser proved, attempt counters in the cache, and the
step-up proofs (proof-of-work challenge, texted code) asked for past the limits."""
