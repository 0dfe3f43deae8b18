"""Accounts: users, roles, tokens, verification."""
