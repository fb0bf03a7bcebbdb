"""Browser tests (a package, so its conftest does not shadow Tests/e2e/conftest.py)."""
