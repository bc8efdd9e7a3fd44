"""Reading a ``/metrics`` page with prometheus-client's own parser."""

from __future__ import annotations

from prometheus_client.parser import text_string_to_metric_families


def metric(page: str, name: str, **labels: str) -> float:
    """The value of the sample ``name`` with ``labels`` in a ``/metrics`` page (0 if absent)."""
    for family in text_string_to_metric_families(page):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return float(sample.value)
    return 0.0
