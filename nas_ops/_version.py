"""The package version (its own module: the engine records it without importing nas_ops)."""

__version__ = "0.1.0"
