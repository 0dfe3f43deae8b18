"""Moderation: automatic findings, the queue, decisions with reasons, merges, the audit log."""
