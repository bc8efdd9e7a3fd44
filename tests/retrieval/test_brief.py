"""Reading a brief without a model: what the text says becomes constraints; flags win."""

from __future__ import annotations

import pytest

from retrieval.contract import MAX_BRIEF_CHARS, RecommendRequest
from retrieval.engine.brief import Brief, read_brief
from retrieval.errors import EmptyBriefError, FilterError

STORY = "for our oat milk, we want home baristas who make latte art"


def read(brief: str, **flags: object) -> Brief:
    return read_brief(RecommendRequest.model_validate({"brief": brief, **flags}))


@pytest.mark.parametrize(
    ("brief", "objective"),
    [
        ("We're launching a new oat milk and want reach among home baristas.", "awareness"),
        ("Brand awareness for our oat milk among latte art fans.", "awareness"),
        ("We want to drive sales of our oat milk with home baristas.", "conversion"),
        ("Sign-ups for our oat milk subscription from latte art lovers.", "conversion"),
        ("Home baristas with a promo code for our oat milk.", "conversion"),
        ("Home baristas who love our oat milk.", "balanced"),
    ],
)
def test_objective_words_set_the_objective(brief: str, objective: str) -> None:
    assert read(brief).objective == objective


def test_an_objective_flag_wins_over_the_text_and_says_so() -> None:
    brief = read("Launch our oat milk with home baristas.", objective="conversion")
    assert brief.objective == "conversion"
    assert any("--objective" in notice for notice in brief.notices)


@pytest.mark.parametrize(
    ("brief", "macro", "micro"),
    [
        (f"3 macro and 6 micro creators {STORY}", 3, 6),
        (f"Two macro creators {STORY}", 2, None),
        (f"A handful of micro-influencers {STORY}", None, 5),
        (f"a couple of macro and several micro {STORY}", 2, 5),
        (STORY, None, None),
    ],
)
def test_explicit_counts_are_read(brief: str, macro: int | None, micro: int | None) -> None:
    reading = read(brief)
    assert (reading.macro, reading.micro) == (macro, micro)


def test_count_flags_win_per_side() -> None:
    reading = read(f"3 macro and 6 micro creators {STORY}", micro=2)
    assert (reading.macro, reading.micro) == (3, 2)


@pytest.mark.parametrize(
    ("phrase", "countries", "languages"),
    [
        ("UK-based home baristas", ["GB"], []),
        ("home baristas in Germany", ["DE"], []),
        ("home baristas in Germany or Austria", ["DE", "AT"], []),
        ("a campaign for Brazil with home baristas", ["BR"], []),
        ("German-speaking home baristas", [], ["de"]),
        ("home baristas who post in Spanish", [], ["es"]),
        ("home baristas based in the United States and Canada", ["US", "CA"], []),
        ("home baristas who talk to us about it in the us", [], []),
        ("home baristas, it is in English", [], ["en"]),
    ],
)
def test_places_and_languages_named_in_the_text_become_filters(
    phrase: str, countries: list[str], languages: list[str]
) -> None:
    reading = read(f"{phrase}; we sell oat milk for latte art.")
    assert reading.filters.country == countries
    assert reading.filters.language == languages


def test_a_hedged_place_is_a_preference_not_a_filter() -> None:
    reading = read(
        "Teachers who share classroom ideas. French-speaking ones first, but we also sell in "
        "Spain and Germany."
    )
    assert reading.filters.country == [] and reading.filters.language == []
    assert reading.preferred_languages == ("fr",)
    assert set(reading.preferred_countries) == {"ES", "DE"}
    assert any("Preferred, not required" in notice for notice in reading.notices)


def test_a_market_is_a_preference_when_the_brief_says_language_matters_less() -> None:
    reading = read(
        "We want to reach German-speaking cyclists who commute in winter. "
        "The story matters more than the language."
    )
    assert reading.filters.language == []
    assert reading.preferred_languages == ("de",)


def test_platforms_are_read() -> None:
    assert read(f"Creators on TikTok or Instagram {STORY}").filters.platform == [
        "tiktok",
        "instagram",
    ]
    assert read(f"YouTube creators {STORY}").filters.platform == ["youtube"]
    assert read(f"Not on TikTok: {STORY}").filters.platform == []


@pytest.mark.parametrize(
    ("phrase", "low", "high"),
    [
        ("under 50k followers", None, 49_999),
        ("with at most 20,000 followers", None, 20_000),
        ("over 1M followers", 1_000_001, None),
        ("at least 5k followers", 5_000, None),
        ("5,000+ followers", 5_000, None),
        ("between 10k and 200k followers", 10_000, 200_000),
        ("a budget under 50k", None, None),
    ],
)
def test_follower_bounds_are_read(phrase: str, low: int | None, high: int | None) -> None:
    reading = read(f"Home baristas {phrase} for our oat milk.")
    assert (reading.filters.min_followers, reading.filters.max_followers) == (low, high)


def test_flags_win_over_the_text_field_by_field() -> None:
    reading = read(
        "UK-based home baristas on TikTok under 50k followers for our oat milk.",
        country=["de"],
        max_followers=9_000,
    )
    assert reading.filters.country == ["DE"]
    assert reading.filters.platform == ["tiktok"]
    assert reading.filters.max_followers == 9_000
    assert any("--country" in notice for notice in reading.notices)


def test_the_story_leaves_out_the_constraint_phrases() -> None:
    reading = read("3 macro UK-based home baristas on TikTok under 50k followers, for oat milk.")
    assert "macro" not in reading.story and "UK" not in reading.story
    assert "TikTok" not in reading.story and "50k" not in reading.story
    assert "baristas" in reading.story and "oat milk" in reading.story


@pytest.mark.parametrize("codes", [["Germany"], ["DEU"], ["de"], ["united kingdom", "UK"]])
def test_country_flags_accept_names_and_codes(codes: list[str]) -> None:
    assert read(STORY, country=codes).filters.country


def test_language_flags_accept_names_and_codes() -> None:
    assert read(STORY, language=["Spanish", "pt", "deu"]).filters.language == ["es", "pt", "de"]


def test_unknown_countries_and_languages_are_all_named_in_one_error() -> None:
    with pytest.raises(FilterError) as raised:
        read(STORY, country=["Atlantis", "DE"], language=["Elvish"])
    message = str(raised.value)
    assert "Atlantis" in message and "Elvish" in message and "DE" not in message.split("'")[1]


@pytest.mark.parametrize("brief", ["", "   \n\t "])
def test_an_empty_brief_is_refused(brief: str) -> None:
    with pytest.raises(EmptyBriefError, match="empty"):
        read(brief)


def test_a_brief_of_constraints_only_is_refused_with_what_it_did_say() -> None:
    with pytest.raises(EmptyBriefError, match=r"only sets constraints .*UK-based"):
        read("3 macro creators, UK-based, on TikTok")


def test_a_long_brief_is_truncated_with_a_notice() -> None:
    long_brief = ("We roast coffee for slow mornings. " * 200).strip()
    reading = read(long_brief)
    assert len(reading.text) <= MAX_BRIEF_CHARS
    assert long_brief.startswith(reading.text) and long_brief[len(reading.text)] == " "
    assert any("only the first" in notice for notice in reading.notices)


def test_minimum_above_maximum_is_refused() -> None:
    with pytest.raises(FilterError, match="above the maximum"):
        read(STORY, min_followers=50_000, max_followers=10_000)
    with pytest.raises(FilterError, match="above the maximum"):
        read(f"Creators with over 100k followers {STORY}", max_followers=10_000)


def test_asking_for_no_creators_is_refused() -> None:
    with pytest.raises(FilterError, match="at least one"):
        read(STORY, macro=0, micro=0)


def test_excluded_handles_are_normalised() -> None:
    reading = read(STORY, exclude=["@JaneCooks", "TikTok:@Bob"])
    assert reading.exclude == {"janecooks", "tiktok:bob"}
