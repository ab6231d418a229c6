"""Hardening: what an attacker (or a clumsy client) observes over HTTP."""
