"""The Prometheus metrics of one app, in a registry of its own (several apps can live in one
process, as in the tests): served at ``GET /metrics``."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import choose_encoder

from bot.observability.context import RequestScope

#: Slack wants an acknowledgement within 3 seconds; the buckets resolve the fast end finely.
ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)
#: A recommendation takes from a fraction of a second (rules) to the model's deadline.
RECOMMEND_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0, 10.0, 20.0, 30.0, 60.0, 90.0)


class Metrics:
    """Requests by surface and outcome, acknowledgement and recommendation latency, the engine's
    queue and the model's tokens."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "storyfit_slack_requests",
            "Slack requests handled, counted when their work has ended, by surface and outcome.",
            ["surface", "outcome"],
            registry=self.registry,
        )
        self.ack_seconds = Histogram(
            "storyfit_slack_ack_seconds",
            "Seconds from a Slack request's arrival to its acknowledgement, by surface.",
            ["surface"],
            buckets=ACK_BUCKETS,
            registry=self.registry,
        )
        self.engine_queue = Gauge(
            "storyfit_engine_queue_depth",
            "Engine calls (embedding, retrieval) waiting or running.",
            registry=self.registry,
        )
        self.recommend_seconds = Histogram(
            "storyfit_recommend_seconds",
            "Wall time of a recommendation for a Slack brief.",
            buckets=RECOMMEND_BUCKETS,
            registry=self.registry,
        )
        self.model_tokens = Counter(
            "storyfit_model_tokens",
            "Tokens the language model used, by model and kind (prompt or completion).",
            ["model", "kind"],
            registry=self.registry,
        )

    def count_request(self, scope: RequestScope) -> None:
        self.requests.labels(scope.surface, scope.outcome).inc()

    def count_tokens(self, model: str, prompt_tokens: int, completion_tokens: int) -> None:
        """A model call's usage (``retrieval.llm.call.UsageListener``)."""
        self.model_tokens.labels(model, "prompt").inc(prompt_tokens)
        self.model_tokens.labels(model, "completion").inc(completion_tokens)

    def exposition(self, accept: str = "") -> tuple[bytes, str]:
        """Every metric, and its content type: in the format a scraper's ``Accept`` header asks
        for (OpenMetrics), else Prometheus' text format."""
        encode, content_type = choose_encoder(accept)
        return encode(self.registry), content_type
