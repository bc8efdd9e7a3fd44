"""The engine end to end: the real MiniLM model and embedded Chroma over the sample roster."""

from __future__ import annotations

import itertools
import json
import random
from pathlib import Path
from typing import Any, cast

import pytest

from retrieval.contract import Pick, Recommendation, RecommendRequest
from retrieval.engine.bio_checks import unpickable_reason
from retrieval.engine.mix import DEFAULT_SLOTS
from retrieval.engine.recommender import NotAPickError, Recommender, UnknownCreatorError
from retrieval.errors import EmptyRosterError, FilterError
from retrieval.ports import Embedder, RosterIndex
from retrieval.roster.creator import Creator
from retrieval.store.embeddings import LocalMiniLMEmbedder
from retrieval.store.index import CreatorIndex
from retrieval.tiers import DEFAULT_SCHEME
from tests.conftest import REPO

pytest_plugins = ("tests.support.fixtures_recommend",)

COFFEE = (
    "A small roastery that pays growers fairly wants people who brew coffee at home: "
    "pour-over, espresso and fresh beans as a morning ritual."
)
SOURDOUGH = "Our mill wants sourdough bakers who show their starter, long fermentation and crumb."
EVAL_BRIEFS = [
    b["brief"] for b in json.loads((REPO / "tests/eval/briefs.json").read_text())["briefs"]
]


def key(pick: Pick) -> str:
    return pick.key


def keys(recommendation: Recommendation, role: str | None = None) -> list[str]:
    return [key(p) for p in recommendation.picks if role is None or p.role == role]


def test_an_obvious_brief_gets_the_obvious_creators(recommender: Recommender) -> None:
    coffee = recommender.recommend(RecommendRequest(brief=COFFEE))
    assert {"youtube:thepourovernerd", "instagram:brewwithbea"} & set(keys(coffee, "awareness"))
    assert "tiktok:slowdripdan" in keys(coffee, "action")
    sourdough = recommender.recommend(RecommendRequest(brief=SOURDOUGH))
    assert keys(sourdough, "awareness")[0] == "youtube:crumbandcrust"
    assert "instagram:wildyeastwendy" in keys(sourdough, "action")


def test_awareness_slots_take_macro_creators_before_mid_tier_ones(recommender: Recommender) -> None:
    """ "--macro N" means N creators of 100,000+ followers; a mid-tier creator only fills what
    macro fits leave, is labelled mid, and the shortfall says so."""
    sourdough = recommender.recommend(RecommendRequest(brief=SOURDOUGH))
    awareness = [p for p in sourdough.picks if p.role == "awareness"]
    assert awareness and all(p.tier == "macro" for p in awareness)
    assert "instagram:sourdoughsam" not in keys(sourdough)  # mid-tier, fits well, waits
    many = recommender.recommend(RecommendRequest(brief=SOURDOUGH, macro=8, micro=0))
    tiers = [p.tier for p in many.picks]
    assert "mid" in tiers and tiers == sorted(tiers, key=lambda tier: tier != "macro")
    macro = next(s for s in many.shortfall if s.tier == "macro")
    assert macro.found <= tiers.count("macro") and "labelled with their tier" in macro.reason


def test_picks_list_awareness_first_best_first_within_the_tier_bands(
    recommender: Recommender,
) -> None:
    result = recommender.recommend(RecommendRequest(brief=COFFEE))
    roles = [pick.role for pick in result.picks]
    assert roles == sorted(roles, key=lambda role: role != "awareness")
    for pick in result.picks:
        tier = DEFAULT_SCHEME.classify(pick.followers)
        assert (pick.tier, pick.role) == (tier.name, tier.role)
    assert result.explained_by == "rules"
    assert "awareness side" in result.explanation and "action side" in result.explanation


def assert_counts(result: Recommendation, macro: int, micro: int) -> None:
    """Each side has at most its slots. A side with fewer good fits of the tiers asked for than
    slots has a shortfall saying how many there are; a side without one is filled with them."""
    for role, side, wanted in (("awareness", "macro", macro), ("action", "micro", micro)):
        picks = [p for p in result.picks if p.role == role]
        good = [p for p in picks if p.fit != "weak" and p.tier == side]
        short = [(s.requested, s.found) for s in result.shortfall if s.tier == side]
        assert len(picks) <= wanted
        assert short == ([] if len(good) == wanted else [(wanted, len(good))])


@pytest.mark.parametrize(("macro", "micro"), [(3, 6), (1, 1), (0, 4), (2, 0)])
def test_counts_hold(recommender: Recommender, macro: int, micro: int) -> None:
    result = recommender.recommend(RecommendRequest(brief=COFFEE, macro=macro, micro=micro))
    assert_counts(result, macro, micro)
    assert len(result.picks) >= min(macro, 1) + min(micro, 1)


def test_the_objective_changes_the_split(recommender: Recommender) -> None:
    brief = "Launch our running shoe with trail runners and marathon runners."
    launch = recommender.recommend(RecommendRequest(brief=brief))
    assert launch.objective == "awareness"
    assert "read from “launch”" in launch.explanation
    assert_counts(launch, *DEFAULT_SLOTS["awareness"])
    sales = recommender.recommend(RecommendRequest(brief=brief, objective="conversion"))
    assert_counts(sales, *DEFAULT_SLOTS["conversion"])
    assert len(keys(sales, "action")) > len(keys(launch, "action"))


def test_every_evidence_string_is_a_substring_of_the_bio(
    recommender: Recommender, roster: dict[str, Creator]
) -> None:
    for brief in [COFFEE, SOURDOUGH, *EVAL_BRIEFS[::4]]:
        for pick in recommender.recommend(RecommendRequest(brief=brief)).picks:
            bio = roster[key(pick)].bio
            assert pick.evidence, f"{key(pick)} has no evidence"
            for quote in pick.evidence:
                assert quote and quote in bio, f"{quote!r} is not in {key(pick)}'s bio"


def test_thin_and_instruction_like_bios_are_never_picked(
    recommender: Recommender, roster: dict[str, Creator]
) -> None:
    unpickable = {k for k, c in roster.items() if unpickable_reason(c.bio) is not None}
    assert {"instagram:ki.hinweis.kai", "tiktok:bestfit.bella"} <= unpickable
    lures = [
        "Coffee, running, yoga, vegan food, travel, skincare, finance: creators who fit any brief.",
        "Growth, lifestyle, vlogs and collabs: the best fit for every brief.",
        "Vegan fitness travel coffee: Kaffee, Reisen, vegane Küche.",
    ]
    for brief in lures + EVAL_BRIEFS:
        result = recommender.recommend(RecommendRequest(brief=brief, macro=6, micro=12))
        assert not set(keys(result)) & unpickable, brief


FILTERS: list[dict[str, Any]] = [
    {"country": ["DE"]},
    {"country": ["US", "GB"]},
    {"language": ["es"]},
    {"language": ["pt", "fr"]},
    {"platform": ["youtube"]},
    {"platform": ["tiktok", "instagram"], "country": ["GB"]},
    {"min_followers": 5_000, "max_followers": 50_000},
    {"max_followers": 9_000},
    {"min_followers": 200_000},
    {"exclude": ["brewwithbea", "@thepourovernerd", "tiktok:slowdripdan"]},
]


def test_hard_filters_are_never_violated(recommender: Recommender) -> None:
    rng = random.Random(7)
    for brief, filters in itertools.product([COFFEE, *rng.sample(EVAL_BRIEFS, 8)], FILTERS):
        result = recommender.recommend(RecommendRequest.model_validate({"brief": brief, **filters}))
        for pick in result.picks:
            assert pick.country in filters.get("country", [pick.country])
            assert pick.language in filters.get("language", [pick.language])
            assert pick.platform in filters.get("platform", [pick.platform])
            assert pick.followers >= filters.get("min_followers", 0)
            assert pick.followers <= filters.get("max_followers", pick.followers)
            assert pick.handle not in {"brewwithbea", "thepourovernerd", "slowdripdan"} or (
                "exclude" not in filters
            )


def test_filters_read_from_the_brief_hold_too(recommender: Recommender) -> None:
    result = recommender.recommend(
        RecommendRequest(brief="Coffee creators living in Germany who brew at home.")
    )
    assert result.filters.country == ["DE"]
    assert result.picks and all(pick.country == "DE" for pick in result.picks)


def test_a_niche_without_macro_creators_gets_a_macro_shortfall(recommender: Recommender) -> None:
    result = recommender.recommend(
        RecommendRequest(
            brief="We sell raw honey from small apiaries and want beekeepers who open their "
            "hives on camera."
        )
    )
    assert keys(result, "action")[0] == "tiktok:brewwithbee"
    assert all(p.fit == "weak" for p in result.picks if p.role == "awareness")
    shortfall = {s.tier: s for s in result.shortfall}
    assert shortfall["macro"].found == 0
    assert "0 good fit(s) of 2 asked for" in shortfall["macro"].reason
    assert "Only" in result.explanation


def test_a_country_with_few_creators_gets_a_shortfall(recommender: Recommender) -> None:
    result = recommender.recommend(RecommendRequest(brief=COFFEE, country=["GH"]))
    micro = next(s for s in result.shortfall if s.tier == "micro")
    macro = next(s for s in result.shortfall if s.tier == "macro")
    assert micro.found <= 1 and macro.found == 0
    assert "no macro-side creator" in macro.reason and "country GH" in macro.reason


class CallCounter:
    """An index that records its calls to ``counted`` methods (everything else as is)."""

    def __init__(self, index: CreatorIndex, *counted: str) -> None:
        self.index = index
        self.counted = counted
        self.calls: list[str] = []

    def __getattr__(self, name: str) -> Any:
        method = getattr(self.index, name)
        if name not in self.counted:
            return method

        def counting(*args: Any, **kwargs: Any) -> Any:
            self.calls.append(name)
            return method(*args, **kwargs)

        return counting


def test_a_filtered_brief_and_its_count_without_the_filter_search_bm25_once(
    sample_index: CreatorIndex, embedder: Embedder
) -> None:
    counter = CallCounter(sample_index, "lexical_search")
    engine = Recommender(cast(RosterIndex, counter), DEFAULT_SCHEME, embedder)
    result = engine.recommend(RecommendRequest(brief=COFFEE, country=["DE"]))
    assert any("without the country filter(s) there are" in s.reason for s in result.shortfall)
    assert counter.calls == ["lexical_search"]


def test_the_roster_table_is_read_only_when_the_roster_has_changed(
    sample_index: CreatorIndex, embedder: Embedder
) -> None:
    counter = CallCounter(sample_index, "roster_rows", "count")
    engine = Recommender(cast(RosterIndex, counter), DEFAULT_SCHEME, embedder)
    engine.recommend(RecommendRequest(brief=COFFEE))
    engine.recommend(RecommendRequest(brief=SOURDOUGH, country=["DE"]))
    assert counter.calls == ["roster_rows"]


def test_unknown_excluded_handles_are_noticed(recommender: Recommender) -> None:
    result = recommender.recommend(RecommendRequest(brief=COFFEE, exclude=["nobody.here"]))
    assert any("@nobody.here is not on the roster" in n for n in result.notices)


def test_bad_filters_are_refused_before_searching(recommender: Recommender) -> None:
    with pytest.raises(FilterError, match="Narnia"):
        recommender.recommend(RecommendRequest(brief=COFFEE, country=["Narnia"]))
    with pytest.raises(FilterError, match="above the maximum"):
        recommender.recommend(
            RecommendRequest(brief=COFFEE, min_followers=20_000, max_followers=1_000)
        )


def test_an_empty_roster_says_to_ingest(tmp_path: Path, embedder: LocalMiniLMEmbedder) -> None:
    with CreatorIndex.open(tmp_path, embedder, DEFAULT_SCHEME) as empty:
        engine = Recommender(empty, DEFAULT_SCHEME, embedder)
        with pytest.raises(EmptyRosterError, match="storyfit ingest"):
            engine.recommend(RecommendRequest(brief=COFFEE))


def test_the_answer_is_the_json_contract(recommender: Recommender) -> None:
    result = recommender.recommend(RecommendRequest(brief=COFFEE))
    payload = result.model_dump(mode="json")
    assert list(payload)[:8] == [
        "brief",
        "objective",
        "filters",
        "picks",
        "shortfall",
        "explanation",
        "explained_by",
        "notices",
    ]
    assert set(payload["picks"][0]) >= {
        "handle",
        "platform",
        "name",
        "followers",
        "tier",
        "role",
        "score",
        "why",
        "evidence",
    }
    assert Recommendation.model_validate_json(json.dumps(payload)) == result


def test_swap_replaces_one_pick_with_the_next_best_of_its_side(recommender: Recommender) -> None:
    request = RecommendRequest(brief=COFFEE)
    first = recommender.recommend(request)
    swapped_out = first.picks[-1]
    second = recommender.swap(request, first, key(swapped_out))
    assert key(swapped_out) not in keys(second)
    assert keys(second)[:-1] == keys(first)[:-1]
    replacement = second.picks[-1]
    assert replacement.role == swapped_out.role
    assert key(replacement) not in keys(first)
    with pytest.raises(NotAPickError, match="not one of this recommendation's picks"):
        recommender.swap(request, first, "instagram:nobody")


def test_swap_keeps_a_swapped_in_awareness_pick_in_place(recommender: Recommender) -> None:
    request = RecommendRequest(brief=COFFEE, macro=3, micro=2)
    first = recommender.recommend(request)
    second = recommender.swap(request, first, key(first.picks[0]))
    assert second.picks[0].role == "awareness"
    assert keys(second)[1:] == keys(first)[1:]


def test_lookalikes_stay_in_the_tier_and_near_the_bio(
    recommender: Recommender, roster: dict[str, Creator]
) -> None:
    picks = recommender.lookalikes("instagram:wildyeastwendy", n=3)
    assert picks and len(picks) <= 3
    assert all(p.tier == "micro" for p in picks)
    assert "instagram:wildyeastwendy" not in [key(p) for p in picks]
    assert {"tiktok:sourdough_sam", "pinterest:sourdoughboards"} & {key(p) for p in picks}
    for pick in picks:
        assert all(quote in roster[key(pick)].bio for quote in pick.evidence)
        assert "@wildyeastwendy's bio" in pick.why
    fewer = recommender.lookalikes("wildyeastwendy", n=3, exclude=["sourdough_sam"])
    assert "tiktok:sourdough_sam" not in [key(p) for p in fewer]


def test_lookalikes_of_an_unknown_handle_suggest_near_misses(recommender: Recommender) -> None:
    with pytest.raises(UnknownCreatorError, match="Did you mean @wildyeastwendy"):
        recommender.lookalikes("wildyeastwendi")


def test_an_update_that_keeps_the_roster_size_is_seen_by_the_next_brief(
    tmp_path: Path, embedder: LocalMiniLMEmbedder
) -> None:
    bakers = [
        Creator(handle=f"baker{i}", platform="instagram", followers=2_000 + i, bio=bio)
        for i, bio in enumerate(
            [
                "Sourdough every morning; I teach slow fermentation to home bakers.",
                "Rye loaves, long proofs and a wood-fired oven in the garden.",
            ]
        )
    ]
    rising = Creator(
        handle="crumbqueen",
        platform="instagram",
        followers=40_000,
        bio="Naturally leavened bread, crumb shots and starter care for beginners.",
    )
    with CreatorIndex.open(tmp_path, embedder, DEFAULT_SCHEME) as index:
        index.upsert([*bakers, rising])
        engine = Recommender(index, DEFAULT_SCHEME, embedder)
        request = RecommendRequest(
            brief="sourdough bread baking at home", macro=0, micro=3, max_followers=9_999
        )
        before = engine.recommend(request)
        assert "crumbqueen" not in [pick.handle for pick in before.picks]

        index.upsert([*bakers, rising.model_copy(update={"followers": 6_000})])
        after = engine.recommend(request)
        moved = [pick for pick in after.picks if pick.handle == "crumbqueen"]
        assert [(pick.tier, pick.role) for pick in moved] == [("micro", "action")]
