"""Builders of test inputs shared by several test modules."""

from __future__ import annotations

from retrieval.llm.brief import BriefReading
from retrieval.llm.grade import GradedSides
from tests.support.openai_mock_server import Reply, completion


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


def no_grades() -> Reply:
    """A grading answer that grades no one: the engine's local order stands."""
    return completion(GradedSides(awareness=[], action=[]))
