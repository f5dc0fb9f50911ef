"""The package version (also in pyproject.toml)."""
__version__ = "1.1.0"
