"""The bundled sample roster and the development evaluation set are well-formed and agree."""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path
from typing import Any

import pycountry
import pytest

from retrieval.roster.creator import is_thin_bio
from retrieval.tiers import DEFAULT_SCHEME
from tests.conftest import REPO, SAMPLE_ROSTER

BRIEFS = REPO / "tests" / "eval" / "briefs.json"
COLUMNS = [
    "handle",
    "platform",
    "name",
    "followers",
    "country",
    "language",
    "engagement_rate",
    "topics",
    "bio",
]
STYLES = {"direct", "paraphrase", "multilingual", "constrained"}
FILTER_FIELDS = ("country", "language", "platform")


def _roster(path: Path = SAMPLE_ROSTER) -> tuple[list[str], list[dict[str, str]]]:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        rows = list(reader)
        return list(reader.fieldnames or []), rows


@pytest.fixture(scope="module")
def rows() -> list[dict[str, str]]:
    return _roster()[1]


@pytest.fixture(scope="module")
def by_key(rows: list[dict[str, str]]) -> dict[str, dict[str, str]]:
    return {f"{row['platform']}:{row['handle']}": row for row in rows}


@pytest.fixture(scope="module")
def briefs() -> list[dict[str, Any]]:
    document = json.loads(BRIEFS.read_text(encoding="utf-8"))
    assert document["version"] == 1
    briefs: list[dict[str, Any]] = document["briefs"]
    return briefs


def test_roster_has_the_exact_columns_and_enough_rows() -> None:
    columns, rows = _roster()
    assert columns == COLUMNS
    assert len(rows) >= 180
    assert all(None not in row for row in rows), "a row has more cells than the header"


def test_roster_identities_are_unique(rows: list[dict[str, str]]) -> None:
    keys = Counter((row["platform"], row["handle"].lower()) for row in rows)
    assert [key for key, count in keys.items() if count > 1] == []
    assert all(row["handle"] and not row["handle"].startswith("@") for row in rows)
    assert {row["platform"] for row in rows} >= {"instagram", "tiktok", "youtube"}


def test_followers_are_plain_integers_with_a_tier_spread(rows: list[dict[str, str]]) -> None:
    assert [row["handle"] for row in rows if not row["followers"].isdigit()] == []
    tiers = Counter(DEFAULT_SCHEME.classify(int(row["followers"])).name for row in rows)
    assert tiers["macro"] >= 30
    assert tiers["mid"] >= 30
    assert tiers["micro"] >= 80


def test_countries_and_languages_are_iso_codes(rows: list[dict[str, str]]) -> None:
    bad_countries = [
        r["country"] for r in rows if pycountry.countries.get(alpha_2=r["country"]) is None
    ]
    bad_languages = [
        r["language"] for r in rows if pycountry.languages.get(alpha_2=r["language"]) is None
    ]
    assert bad_countries == []
    assert bad_languages == []
    languages = Counter(row["language"] for row in rows)
    assert {"en", "de", "es", "fr", "pt"} <= set(languages)
    assert languages["en"] < len(rows) * 0.6, "the sample should be meaningfully multilingual"


def test_engagement_rates_are_fractions_or_empty(rows: list[dict[str, str]]) -> None:
    rates = [row["engagement_rate"] for row in rows]
    assert "" in rates
    assert all(0 < float(rate) <= 1 for rate in rates if rate)


def test_topics_are_semicolon_lists_without_empty_items(rows: list[dict[str, str]]) -> None:
    listed = [row["topics"] for row in rows if row["topics"]]
    assert listed and len(listed) < len(rows)
    assert all(all(item.strip() for item in topics.split(";")) for topics in listed)


def test_roster_carries_thin_bios_for_the_hard_cases(rows: list[dict[str, str]]) -> None:
    empty = [row for row in rows if not row["bio"].strip()]
    contact_only = [row for row in rows if row["bio"].strip() and is_thin_bio(row["bio"])]
    assert len(empty) >= 6
    assert len(contact_only) >= 6


def test_eval_set_is_well_formed(briefs: list[dict[str, Any]]) -> None:
    assert len(briefs) >= 28
    ids = [brief["id"] for brief in briefs]
    assert len(ids) == len(set(ids))
    styles = Counter(brief["style"] for brief in briefs)
    assert set(styles) == STYLES
    assert all(count >= 4 for count in styles.values())
    for brief in briefs:
        assert brief["brief"].strip(), brief["id"]
        assert set(brief["filters"]) == set(FILTER_FIELDS), brief["id"]
        assert (brief["style"] == "constrained") == any(brief["filters"].values()), brief["id"]
        assert 4 <= len(brief["judgements"]) <= 20, brief["id"]
        assert set(brief["judgements"].values()) <= {1, 2, 3}, brief["id"]
        assert 3 in brief["judgements"].values(), f"{brief['id']} has no ideal fit"


def test_every_judged_creator_exists_with_a_real_bio(
    briefs: list[dict[str, Any]], by_key: dict[str, dict[str, str]]
) -> None:
    missing = [(b["id"], key) for b in briefs for key in b["judgements"] if key not in by_key]
    assert missing == []
    thin = [
        (b["id"], key) for b in briefs for key in b["judgements"] if is_thin_bio(by_key[key]["bio"])
    ]
    assert thin == []


def test_judged_creators_pass_their_brief_filters(
    briefs: list[dict[str, Any]], by_key: dict[str, dict[str, str]]
) -> None:
    outside = [
        (brief["id"], key, field)
        for brief in briefs
        for key in brief["judgements"]
        for field in FILTER_FIELDS
        if brief["filters"][field] and by_key[key][field] not in brief["filters"][field]
    ]
    assert outside == []


def test_every_brief_has_good_fits_on_both_sides(
    briefs: list[dict[str, Any]], by_key: dict[str, dict[str, str]]
) -> None:
    """A mix needs awareness and action creators, so each brief grades both sides 2 or more."""
    one_sided = []
    for brief in briefs:
        roles = {
            DEFAULT_SCHEME.classify(int(by_key[key]["followers"])).role
            for key, grade in brief["judgements"].items()
            if grade >= 2
        }
        if roles != {"awareness", "action"}:
            one_sided.append((brief["id"], sorted(roles)))
    assert one_sided == []
