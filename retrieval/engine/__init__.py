"""The pure recommendation engine: reads briefs, plans the mix, ranks and explains (numpy and
``retrieval.ports`` only: no chromadb, onnxruntime, openai or sqlite3)."""
