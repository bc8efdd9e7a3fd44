"""Brief reading (issue 9): where the brand is based is context, hedged wishes are preferences,
a place that describes the creators stays a filter, and the answer says which is which."""

from __future__ import annotations

import pytest

from retrieval.contract import RecommendRequest
from retrieval.engine.brief import Brief, read_brief
from retrieval.engine.recommender import Recommender
from retrieval.llm.brief import checked_reading, merge_reading
from retrieval.roster.creator import Creator
from tests.support.builders import reading as model_reading

pytest_plugins = ("tests.support.fixtures_recommend",)

CONTEXT = "Context, not a filter"
PREFERRED = "Preferred, not required"


def read(brief: str, **flags: object) -> Brief:
    return read_brief(RecommendRequest.model_validate({"brief": brief, **flags}))


def reading_notice(brief: Brief) -> str:
    [notice] = [n for n in brief.notices if n.startswith("Read from the brief")]
    return notice


def preferred(brief: Brief, kind: str) -> tuple[str, ...]:
    return brief.preferred_countries if kind == "country" else brief.preferred_languages


def required(brief: Brief, kind: str) -> list[str]:
    return brief.filters.country if kind == "country" else brief.filters.language


# (hedged brief, the same wish stated plainly, kind, code, the hedge the notice quotes)
WISHES = [
    (
        "German-speaking creators would be great but aren't essential. We make trail shoes for "
        "people who run up mountains.",
        "German-speaking creators who run up mountains, for our trail shoes.",
        "language",
        "de",
        "would be great",
    ),
    (
        "Ideally creators in Canada; we make maple granola for weekend hikers.",
        "Creators in Canada; we make maple granola for weekend hikers.",
        "country",
        "CA",
        "Ideally",
    ),
    (
        "Home cooks who bake their own bread, preferably UK-based.",
        "Home cooks who bake their own bread, UK-based.",
        "country",
        "GB",
        "preferably",
    ),
    (
        "Spanish-speaking creators are nice to have. Our tea is for night-shift nurses.",
        "Spanish-speaking creators only. Our tea is for night-shift nurses.",
        "language",
        "es",
        "nice to have",
    ),
    (
        "Creators in Italy if possible, who make pasta from scratch.",
        "Creators in Italy who make pasta from scratch.",
        "country",
        "IT",
        "if possible",
    ),
    (
        "Deutschsprachige Creator wären schön, sind aber kein Muss. Wir suchen Leute, die Brot "
        "backen.",
        "Deutschsprachige Creator, die Brot backen.",
        "language",
        "de",
        "wären schön",
    ),
    (
        "Idealerweise Creator in Österreich, die im Winter Ski fahren.",
        "Creator in Österreich, die im Winter Ski fahren.",
        "country",
        "AT",
        "Idealerweise",
    ),
    (
        "Idealmente creadores que hablen español y que cocinen en casa.",
        "Creadores que hablen español y que cocinen en casa.",
        "language",
        "es",
        "Idealmente",
    ),
    (
        "Sería genial tener creadores en México que hagan senderismo.",
        "Creadores en México que hagan senderismo.",
        "country",
        "MX",
        "Sería genial",
    ),
    (
        "De préférence des créateurs francophones qui font du vélo en ville.",
        "Des créateurs francophones qui font du vélo en ville.",
        "language",
        "fr",
        "De préférence",
    ),
    (
        "Ce serait bien d'avoir des créateurs en Belgique qui cuisinent des plats de saison.",
        "Des créateurs en Belgique qui cuisinent des plats de saison.",
        "country",
        "BE",
        "Ce serait bien",
    ),
    (
        "De preferência criadores em Portugal que surfam no inverno.",
        "Criadores em Portugal que surfam no inverno.",
        "country",
        "PT",
        "De preferência",
    ),
    (
        "Sarebbe bello avere creator che parlano italiano e amano cucinare.",
        "Creator che parlano italiano e amano cucinare.",
        "language",
        "it",
        "Sarebbe bello",
    ),
]


@pytest.mark.parametrize(("hedged", "plain", "kind", "code", "hedge"), WISHES)
def test_a_hedged_wish_is_a_preference_and_the_plain_one_a_filter(
    hedged: str, plain: str, kind: str, code: str, hedge: str
) -> None:
    soft = read(hedged)
    assert required(soft, kind) == []
    assert preferred(soft, kind) == (code,)
    assert f"{PREFERRED}: {kind} {code} (“{hedge}”)" in reading_notice(soft)
    hard = read(plain)
    assert required(hard, kind) == [code]
    assert preferred(hard, kind) == ()
    assert f"Hard: {kind} {code}." in reading_notice(hard)


@pytest.mark.parametrize(
    ("brief", "said"),
    [
        (
            "Our brand is based in Germany. We want home cooks who bake sourdough.",
            "based in Germany",
        ),
        ("We're a UK-based brand making tea for night-shift nurses.", "UK-based"),
        ("Based in France, we make linen aprons for home bakers.", "Based in France"),
        ("A coffee roastery from Italy, for people who brew espresso at home.", "from Italy"),
        (
            "Our company is headquartered in Spain; we make wetsuits for cold-water surfers.",
            "in Spain",
        ),
        ("We roast in Portugal and want people who brew filter coffee.", "in Portugal"),
        ("We are operating in Sweden, for people who swim in cold lakes.", "in Sweden"),
        ("Unsere Marke sitzt in Deutschland. Wir suchen Leute, die Rad fahren.", "in Deutschland"),
        ("Nuestra empresa está en España. Buscamos gente que haga senderismo.", "en España"),
        ("Nous sommes une marque basée en France, pour les cyclistes urbains.", "en France"),
    ],
)
def test_where_the_brand_is_based_is_context_not_a_filter(brief: str, said: str) -> None:
    reading = read(brief)
    assert reading.filters.country == [] and reading.filters.language == []
    assert reading.preferred_countries == () and reading.preferred_languages == ()
    assert f"{CONTEXT}: “{said}” (where the brand is)." in reading_notice(reading)


@pytest.mark.parametrize(
    ("brief", "countries"),
    [
        ("Creators based in Spain who cook paella at home.", ["ES"]),
        ("UK-based creators who knit their own jumpers.", ["GB"]),
        ("We are looking for home baristas in Canada.", ["CA"]),
        ("Our creators must be based in Mexico and love street food.", ["MX"]),
        ("For our launch we need creators in Germany who hike.", ["DE"]),
        ("Buscamos creadores en México que hagan senderismo.", ["MX"]),
        ("Wir suchen Creator in Österreich, die wandern.", ["AT"]),
        ("We're targeting parents in France who cook on a budget.", ["FR"]),
        ("Our customers are in Ireland; people who cook on a budget.", ["IE"]),
    ],
)
def test_a_place_that_describes_the_creators_stays_a_filter(
    brief: str, countries: list[str]
) -> None:
    reading = read(brief)
    assert reading.filters.country == countries
    assert CONTEXT not in reading_notice(reading)


@pytest.mark.parametrize(
    ("brief", "languages"),
    [
        ("For our launch we need German creators who love hiking.", ["de"]),
        ("Portuguese influencers who surf in winter.", ["pt"]),
        ("UK and Irish creators who adopted their dogs.", ["ga"]),
        ("We are a German brand baking bread for home cooks.", []),
        ("Latin creators who dance salsa at weddings.", []),
        ("Food creators who cook for large families.", []),
    ],
)
def test_creators_named_by_a_language_word_prefer_that_language(
    brief: str, languages: list[str]
) -> None:
    """A language word ("German creators") may name a nationality as well: a preference, never a
    filter that would leave out every Irish creator writing in English."""
    reading = read(brief)
    assert reading.filters.language == []
    assert list(reading.preferred_languages) == languages


def test_the_brand_place_and_the_creators_place_in_one_sentence_are_told_apart() -> None:
    reading = read("Our brand is based in Germany, but we need creators in Austria who ski.")
    assert reading.filters.country == ["AT"]
    assert reading.preferred_countries == ()
    assert f"{CONTEXT}: “based in Germany”" in reading_notice(reading)


def test_a_market_the_brand_sells_in_is_a_preference_not_context() -> None:
    reading = read("We sell in Spain and want bakers who laminate their own dough.")
    assert reading.filters.country == [] and reading.preferred_countries == ("ES",)
    assert f"{PREFERRED}: country ES (“sell”)." in reading_notice(reading)


def test_a_brand_place_becomes_at_most_a_preference_when_the_creators_are_wished_there() -> None:
    reading = read(
        "We are based in Germany. Creators in Germany would be nice. People who hike in winter."
    )
    assert reading.filters.country == []
    assert reading.preferred_countries == ("DE",)


def test_flags_still_win_over_the_text() -> None:
    reading = read(
        "Our brand is based in Germany. German-speaking creators would be great but aren't "
        "essential. Creators in Spain who surf.",
        language=["fr"],
        country=["PT"],
    )
    assert reading.filters.language == ["fr"] and reading.filters.country == ["PT"]
    assert reading.preferred_languages == () and reading.preferred_countries == ()
    assert "--country PT was used instead of the brief's country (ES)." in reading.notices


def test_the_notice_says_what_is_hard_what_is_preferred_and_what_is_context() -> None:
    reading = read(
        "Our brand is based in Germany. Spanish-speaking creators would be great but aren't "
        "essential. Creators on TikTok who cook for big families, to drive sales."
    )
    assert reading_notice(reading) == (
        "Read from the brief: objective conversion. Hard: platform tiktok. "
        "Preferred, not required: language es (“would be great”). "
        "Context, not a filter: “based in Germany” (where the brand is)."
    )


def test_the_model_cannot_make_the_brand_place_or_a_hedged_wish_a_filter() -> None:
    request = RecommendRequest(
        brief="Our brand is based in Germany. French-speaking creators would be great. "
        "We need creators in Austria who ski."
    )
    rules = read_brief(request)
    model = checked_reading(model_reading(countries=["DE", "AT"], languages=["fr"]))
    merged = merge_reading(rules, request, model)
    assert merged.filters.country == ["AT"] and merged.filters.language == []
    assert merged.preferred_languages == ("fr",)


COFFEE = (
    "We want people who brew coffee at home: pour-over, espresso and fresh beans as a "
    "morning ritual."
)


def test_a_brand_based_in_germany_still_gets_creators_from_elsewhere(
    recommender: Recommender, roster: dict[str, Creator]
) -> None:
    result = recommender.recommend(
        RecommendRequest(brief=f"Our brand is based in Germany. {COFFEE}")
    )
    assert result.filters.country == []
    countries = {roster[pick.key].country for pick in result.picks}
    assert countries - {"DE"}, countries
    assert any(f"{CONTEXT}: “based in Germany”" in notice for notice in result.notices)
    wanted_there = recommender.recommend(
        RecommendRequest(brief=f"{COFFEE} They must be based in Germany.")
    )
    assert wanted_there.picks
    assert {roster[pick.key].country for pick in wanted_there.picks} == {"DE"}


def test_a_hedged_language_wish_keeps_other_languages_in_the_answer(
    recommender: Recommender, roster: dict[str, Creator]
) -> None:
    result = recommender.recommend(
        RecommendRequest(
            brief=f"German-speaking creators would be great but aren't essential. {COFFEE}"
        )
    )
    assert result.filters.language == []
    assert {roster[pick.key].language for pick in result.picks} - {"de"}
    assert any(f"{PREFERRED}: language de" in notice for notice in result.notices)
