"""The one exception the plan parser raises for unusable input."""

from __future__ import annotations


class DocumentError(Exception):
    """Raised when a document cannot be read or holds no plan; `.message` is Chinese."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
