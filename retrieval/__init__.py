"""Storyfit's retrieval library: rosters, tiers, embeddings, the creator index and ranking.

Nothing here knows about Slack or reads the environment: callers pass plain arguments.
"""
