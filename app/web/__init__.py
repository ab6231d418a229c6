"""The web layer: the guard, htmx helpers, error pages and routes."""
