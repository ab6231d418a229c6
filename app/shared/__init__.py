"""What the auth and mail packages both build on, below both: the activity log, attempt
throttles, who is asking (the client's description), and email addresses."""
