"""Serving: candidate scoring on the active model, business filters, diversity, explanations and
the session trail. `selectors/surfaces.py` is the public face; nothing here writes but the trail."""
