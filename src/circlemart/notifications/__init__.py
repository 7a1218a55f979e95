"""The in-app inbox: grouped notifications, unread counts, preferences."""
