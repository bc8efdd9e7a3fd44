"""Brief understanding by the model, merged into the rules' reading (``retrieval.engine.brief``).

The model reads the brief into a ``BriefReading`` (structured output). Its values are checked
(unknown country or language codes, odd platforms, impossible counts and bounds are dropped with a
log line; so is any number, country, language, platform or exclusion the brief's text does not
say, see ``retrieval.llm.brief_support``), then merged field by field: a flag the user gave always
wins; otherwise the model's value, when it has one, replaces what the rules read from the text.
The model's ``story`` becomes the retrieval query; the user's brief text stays the brief.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Callable
from typing import Literal, TypeVar

from pydantic import BaseModel

from prompts import load_prompt
from retrieval.contract import Filters, Objective, RecommendRequest, Side
from retrieval.engine.brief import (
    MAX_SLOTS,
    Brief,
    normalize_exclude,
    shown_value,
)
from retrieval.errors import FilterError
from retrieval.llm.brief_support import BriefEvidence
from retrieval.llm.call import Deadline, LlmSession, prompt_data
from retrieval.roster.creator import normalize_country, normalize_language
from retrieval.roster.urls import platform_name

log = logging.getLogger(__name__)

PROMPT_VERSION = "v1"
#: The reading is short; this bounds its cost and time.
MAX_COMPLETION_TOKENS = 500
#: Longest story (retrieval query) taken from the model; a longer one is cut at a word.
MAX_STORY_CHARS = 600
_PLATFORM = re.compile(r"^[a-z0-9][a-z0-9_.-]{0,29}$")
_T = TypeVar("_T")


class BriefReading(BaseModel):
    """What the model read from a brief: the structured-output schema, every field required."""

    objective: Objective | None
    macro: int | None
    micro: int | None
    platforms: list[str]
    countries: list[str]
    languages: list[str]
    min_followers: int | None
    max_followers: int | None
    exclude: list[str]
    story: str


def read_brief_with_model(
    session: LlmSession, brief_text: str, deadline: Deadline | None = None
) -> BriefReading | None:
    """The model's checked reading of ``brief_text``, or ``None`` when the call failed."""
    prompt = load_prompt("brief_understanding", PROMPT_VERSION).render(
        brief_json=prompt_data(brief_text)
    )
    reading = session.ask("brief", prompt, BriefReading, MAX_COMPLETION_TOKENS, deadline)
    return None if reading is None else supported_reading(checked_reading(reading), brief_text)


def supported_reading(reading: BriefReading, brief_text: str) -> BriefReading:
    """``reading`` without the values ``brief_text`` does not say (each one dropped is logged):
    the model may not add a constraint the user never wrote."""
    said = BriefEvidence.of(brief_text)
    return reading.model_copy(
        update={
            "macro": _if_said("macro count", reading.macro, said.says_count),
            "micro": _if_said("micro count", reading.micro, said.says_count),
            "min_followers": _if_said("minimum", reading.min_followers, said.says_bound),
            "max_followers": _if_said("maximum", reading.max_followers, said.says_bound),
            "countries": _said_ones("country", reading.countries, said.countries.__contains__),
            "languages": _said_ones("language", reading.languages, said.languages.__contains__),
            "platforms": _said_ones("platform", reading.platforms, said.names_platform),
            "exclude": _said_ones("exclusion", reading.exclude, said.names_handle),
        }
    )


def checked_reading(reading: BriefReading) -> BriefReading:
    """``reading`` with every value we cannot use dropped (and logged), codes normalised."""
    low, high = _non_negative(reading.min_followers), _non_negative(reading.max_followers)
    if low is not None and high is not None and low > high:
        log.info("model reading: dropped follower bounds %d > %d", low, high)
        low = high = None
    return BriefReading(
        objective=reading.objective,
        macro=_slots("macro", reading.macro),
        micro=_slots("micro", reading.micro),
        platforms=_valid("platform", reading.platforms, _platform),
        countries=_valid("country", reading.countries, normalize_country),
        languages=_valid("language", reading.languages, normalize_language),
        min_followers=low,
        max_followers=high,
        exclude=_valid("exclusion", reading.exclude, normalize_exclude),
        story=_story(reading.story),
    )


def merge_reading(brief: Brief, request: RecommendRequest, reading: BriefReading) -> Brief:
    """``brief`` (flags over rules) with the model's reading in place of the rules' where the
    user gave no flag; a notice lists what the model changed."""
    old = brief.filters
    objective = _prefer(request.objective is not None, brief.objective, reading.objective)
    macro = _prefer(request.macro is not None, brief.macro, reading.macro)
    micro = _prefer(request.micro is not None, brief.micro, reading.micro)
    if macro == 0 and micro == 0:
        log.info("model reading: dropped counts that ask for no creator at all")
        macro, micro = brief.macro, brief.micro
    low = _prefer(request.min_followers is not None, old.min_followers, reading.min_followers)
    high = _prefer(request.max_followers is not None, old.max_followers, reading.max_followers)
    if low is not None and high is not None and low > high:
        log.info("model reading: dropped follower bounds that contradict the flags")
        low, high = old.min_followers, old.max_followers
    countries = _hard_only(brief, "country", reading.countries)
    languages = _hard_only(brief, "language", reading.languages)
    filters = Filters(
        platform=_prefer(bool(request.platform), old.platform, reading.platforms or None),
        country=_prefer(bool(request.country), old.country, countries or None),
        language=_prefer(bool(request.language), old.language, languages or None),
        min_followers=low,
        max_followers=high,
    )
    exclude = brief.exclude | frozenset(reading.exclude)
    changes = [
        f"{label} {shown_value(new)}"
        for label, new, before in (
            ("objective", objective, brief.objective),
            ("macro count", macro, brief.macro),
            ("micro count", micro, brief.micro),
            ("platform", filters.platform, old.platform),
            ("country", filters.country, old.country),
            ("language", filters.language, old.language),
            ("minimum followers", low, old.min_followers),
            ("maximum followers", high, old.max_followers),
            ("excluded", sorted(exclude - brief.exclude) or None, None),
        )
        if new != before
    ]
    notices = brief.notices
    if changes:
        notices = (
            *notices,
            "Read from the brief by the language model: " + "; ".join(changes) + ".",
        )
    return dataclasses.replace(
        brief,
        story=reading.story or brief.story,
        objective=objective,
        objective_cues=brief.objective_cues if objective == brief.objective else (),
        macro=macro,
        micro=micro,
        filters=filters,
        exclude=exclude,
        notices=notices,
    )


def _if_said(label: str, value: int | None, said: Callable[[int], bool]) -> int | None:
    if value is None or said(value):
        return value
    log.info("model reading: dropped the %s %d, which the brief does not say", label, value)
    return None


def _said_ones(kind: str, values: list[str], said: Callable[[str], bool]) -> list[str]:
    kept = [value for value in values if said(value)]
    for value in values:
        if value not in kept:
            log.info(
                "model reading: dropped the %s %r, which the brief does not say", kind, value[:40]
            )
    return kept


def _hard_only(brief: Brief, kind: Literal["country", "language"], codes: list[str]) -> list[str]:
    """The model's codes without those the rules read as a hedged wish or the brand's own place
    ("would be great", "our brand is based in"): those stay preferences or context."""
    soft = brief.soft(kind) - set(getattr(brief.filters, kind))
    kept = [code for code in codes if code not in soft]
    if len(kept) < len(codes):
        log.info("model reading: kept soft %s %s out of the filters", kind, sorted(soft))
    return kept


def _prefer(flag_given: bool, rules: _T, model: _T | None) -> _T:
    """The rules' value (flags included) when a flag was given or the model has none."""
    return rules if flag_given or model is None else model


def _valid(kind: str, values: list[str], normalize: Callable[[str], str | None]) -> list[str]:
    kept: list[str] = []
    for value in values:
        try:
            code = normalize(value)
        except (ValueError, FilterError):
            code = None
        if code is None:
            log.info("model reading: dropped unknown %s %r", kind, value[:40])
        elif code not in kept:
            kept.append(code)
    return kept


def _platform(value: str) -> str | None:
    platform = platform_name(value)
    return platform if _PLATFORM.match(platform) else None


def _slots(side: Side, count: int | None) -> int | None:
    if count is not None and count < 0:
        log.info("model reading: dropped a negative %s count", side)
        return None
    return count if count is None else min(count, MAX_SLOTS[side])


def _non_negative(value: int | None) -> int | None:
    if value is not None and value < 0:
        log.info("model reading: dropped a negative follower bound")
        return None
    return value


def _story(text: str) -> str:
    story = " ".join(text.split())
    if len(story) <= MAX_STORY_CHARS:
        return story
    return story[: story.rfind(" ", 0, MAX_STORY_CHARS) or MAX_STORY_CHARS]
