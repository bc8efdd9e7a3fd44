"""Builders of test inputs shared by several test modules."""

from __future__ import annotations

from retrieval.llm.brief import BriefReading


def reading(**values: object) -> BriefReading:
    fields: dict[str, object] = {
        "objective": None,
        "macro": None,
        "micro": None,
        "platforms": [],
        "countries": [],
        "languages": [],
        "min_followers": None,
        "max_followers": None,
        "exclude": [],
        "story": "",
    }
    fields.update(values)
    return BriefReading.model_validate(fields)
