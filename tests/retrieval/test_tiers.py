"""Tier schemes and follower counts as a marketer types them."""

from __future__ import annotations

import pytest

from retrieval.counts import parse_count
from retrieval.tiers import DEFAULT_SCHEME, INDUSTRY_SCHEME, parse_tier_scheme


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8500", 8500),
        ("12,300", 12_300),
        ("12.3K", 12_300),
        ("12.3k", 12_300),
        ("1.2M", 1_200_000),
        (" 2m ", 2_000_000),
        ("15200.0", 15_200),
        ("12,3K", 12_300),
        ("1,5M", 1_500_000),
        ("1,234,567", 1_234_567),
        ("0", 0),
        (9_999, 9_999),
        (15200.0, 15_200),
    ],
)
def test_counts_in_every_form_people_write(text: str | int | float, expected: int) -> None:
    assert parse_count(text) == expected


@pytest.mark.parametrize(
    "text", ["", "lots", "-5", "12.34", "1.2.3k", "12kk", "nan", "∞", "12,30", "1,2,3"]
)
def test_bad_counts_are_refused_with_a_hint(text: str) -> None:
    with pytest.raises(ValueError, match=r"follower count|negative|whole number"):
        parse_count(text)


@pytest.mark.parametrize(
    ("followers", "tier", "role"),
    [
        (0, "micro", "action"),
        (9_999, "micro", "action"),
        (10_000, "mid", "awareness"),
        (99_999, "mid", "awareness"),
        (100_000, "macro", "awareness"),
        (50_000_000, "macro", "awareness"),
    ],
)
def test_default_scheme_follows_the_article(followers: int, tier: str, role: str) -> None:
    band = DEFAULT_SCHEME.classify(followers)
    assert (band.name, band.role) == (tier, role)


def test_default_bounds_match_the_contract() -> None:
    micro = DEFAULT_SCHEME.classify(8_500)
    assert (micro.min, micro.max) == (0, 9_999)
    assert DEFAULT_SCHEME.tier("macro").max is None


def test_industry_preset_has_five_bands() -> None:
    assert [t.name for t in INDUSTRY_SCHEME.tiers] == ["nano", "micro", "mid", "macro", "mega"]
    assert INDUSTRY_SCHEME.classify(999).name == "nano"
    assert INDUSTRY_SCHEME.classify(1_000_000).name == "mega"
    assert [t.name for t in INDUSTRY_SCHEME.tiers_for("action")] == ["nano", "micro"]


def test_presets_by_name_are_case_insensitive() -> None:
    assert parse_tier_scheme("Industry") is INDUSTRY_SCHEME
    assert parse_tier_scheme("default") is DEFAULT_SCHEME


def test_custom_scheme_with_roles_and_k_suffixes() -> None:
    scheme = parse_tier_scheme("small:0, big:50k:awareness, huge:1M")
    assert scheme.classify(49_999).name == "small"
    assert scheme.classify(49_999).role == "action"
    assert scheme.classify(50_000).name == "big"
    assert scheme.tier("huge").min == 1_000_000


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("tiny", "unknown tier scheme"),
        ("micro:5,macro:100", "start at 0"),
        ("micro:0,micro:100", "unique"),
        ("micro:0,macro:100:loud", "awareness or action"),
        ("micro:0,macro:lots", "follower count"),
        ("micro:0,:100", "cannot read"),
    ],
)
def test_bad_custom_schemes_say_what_is_wrong(spec: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_tier_scheme(spec)
