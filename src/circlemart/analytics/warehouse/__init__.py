"""The analytics warehouse: the event log exported to day-partitioned Parquet, table
snapshots beside it, and DuckDB views over both (`duck.sync()`, `duck.connect()`)."""
