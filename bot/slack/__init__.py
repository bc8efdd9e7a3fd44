"""Talking to Slack: the one Web API client and the retry middleware."""
