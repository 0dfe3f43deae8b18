"""Notification outbox: messages are stored first, then delivered by a pluggable sender."""
