"""Participation points, as Active Citizen awards them."""
