"""The metric catalogue, its daily rollup into DailyMetric, and the reads dashboards make."""
