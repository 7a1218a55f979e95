"""Payment providers, the built-in test gateway, webhooks and refunds."""
