# Storyfit: the Slack bot and CLI in one slim image.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    STORYFIT_DATA_DIR=/data

RUN groupadd --system --gid 10001 storyfit \
    && useradd --system --uid 10001 --gid storyfit --home-dir /home/storyfit --create-home storyfit \
    && mkdir -p /data \
    && chown storyfit:storyfit /data

WORKDIR /app
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY retrieval ./retrieval
COPY prompts ./prompts
RUN pip install --no-cache-dir .

USER 10001:10001
VOLUME ["/data"]
EXPOSE 3000

HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["python", "-c", "import urllib.request, sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:3000/healthz', timeout=4).status == 200 else 1)"]

ENTRYPOINT ["storyfit"]
CMD ["serve", "--port", "3000"]
