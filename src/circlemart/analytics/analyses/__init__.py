"""Analyses over the warehouse: trends with period comparison, funnels, cohort retention,
user paths and lifecycle. Pure DuckDB functions (one module each) plus `selectors`, which
validate input and open the warehouse."""
