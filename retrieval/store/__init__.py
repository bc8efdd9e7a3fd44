"""The heavy parts: embedders (ONNX, OpenAI), Chroma, the SQLite catalog, the creator index."""
