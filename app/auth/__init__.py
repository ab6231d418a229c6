"""Authentication: the refresh decision, the session store and the service."""
