"""Whole flows: signed Slack requests through the real app and the real service."""
