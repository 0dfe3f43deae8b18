"""The composition root: factory, configuration, extensions, accounts and shared plumbing."""

from app.factory import create_app

__all__ = ["create_app"]
