"""The analyst's dashboards in the back office: pages over the daily metrics table, Plotly
charts, CSV export and scheduled email reports."""
