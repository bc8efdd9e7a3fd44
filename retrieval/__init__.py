"""Storyfit's retrieval library: rosters, tiers, embeddings, the creator index and ranking.

Nothing here knows about Slack or reads the environment: callers pass plain arguments.
The root holds the light shared parts (``contract``, ``ports``, ``errors``, ``tiers``, ``counts``,
``terms``); ``roster`` reads files, ``store`` holds the heavy parts (ONNX, Chroma, SQLite),
``engine`` ranks with numpy against ``ports`` only, ``llm`` adds the optional model.
"""
