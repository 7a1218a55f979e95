"""Tracking and analytics: the event log, the metric catalogue, analyses, dashboards, goals."""
