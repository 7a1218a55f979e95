"""SMART growth goals: a metric, a baseline, a target and a deadline, tracked with a forecast."""
