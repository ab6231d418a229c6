"""What the tests stand on: settings, backends and their servers, a browser, the database.

Imported by tests and conftest files alike (nothing here is a fixture; the fixtures in
the conftest files are thin wrappers around it).
"""
