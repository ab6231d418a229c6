"""Cryptographic building blocks: passwords, keys, tokens, cookies."""
