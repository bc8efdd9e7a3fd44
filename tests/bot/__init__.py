"""Tests of the application layer: blocks, CLI, digest, history, settings, Slack parts."""
