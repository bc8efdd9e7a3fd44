# Storyfit: the Slack bot and CLI in one slim image, the embedding model baked in.
FROM python:3.11-slim

# The model lives in the image, outside the /data volume, and is read from there only: a
# container never downloads it.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STORYFIT_DATA_DIR=/data \
    STORYFIT_EMBEDDING_MODEL_DIR=/opt/storyfit/models/all-MiniLM-L6-v2

RUN groupadd --system --gid 10001 storyfit \
    && useradd --system --uid 10001 --gid storyfit --home-dir /home/storyfit --create-home storyfit \
    && mkdir -p /data \
    && chown storyfit:storyfit /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY retrieval ./retrieval
COPY prompts ./prompts
# The postgres extra: STORYFIT_DATABASE_URL may name a PostgreSQL database (docker-compose.yml).
RUN pip install --no-cache-dir "./[postgres]"

# The MiniLM ONNX files from chromadb's public archive, checked by SHA-256 (the archive, then
# every file: retrieval/store/model_files.py); any mismatch fails the build. Owned by root and
# read-only for the app user.
RUN python -m retrieval.store.model_files "${STORYFIT_EMBEDDING_MODEL_DIR}" \
    && chmod -R a+rX,go-w /opt/storyfit

USER 10001:10001
VOLUME ["/data"]
EXPOSE 3000

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request, sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=4).status == 200 else 1)"]

ENTRYPOINT ["storyfit"]
CMD ["serve", "--port", "3000"]
