"""The customer's sessions + JWT strategy, done right."""
