"""Storyfit's application layer: settings, the service facade, the CLI and the Slack bot."""
