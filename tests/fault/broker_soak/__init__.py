"""A Django app for the embedded-broker soak test only: one task that records that it ran."""
