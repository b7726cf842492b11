"""Placeholder: K-fold splits, filled in by chapter 4."""

__all__: list[str] = []
