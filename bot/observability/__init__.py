"""Operations: request ids across threads, logs, Prometheus metrics, health, readiness."""
