"""Database: the engine and the tables."""
