"""Keyword-stuffed bios (issue 10): a bio listing every niche is not a strong fit for any, so it
no longer wins briefs over creators who really do that one thing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from retrieval.contract import RecommendRequest
from retrieval.engine.bio_checks import unpickable_reason
from retrieval.engine.recommender import Recommender
from retrieval.engine.stuffing import MAX_PENALTY, niche_count, stuffing_penalty
from retrieval.roster.creator import Creator
from retrieval.roster.load import load_roster
from retrieval.store.embeddings import LocalMiniLMEmbedder
from retrieval.store.index import CreatorIndex
from retrieval.tiers import DEFAULT_SCHEME
from tests.conftest import SAMPLE_ROSTER

STUFFED = {
    "doitall.dana": "Coffee, sourdough, trail running, yoga, vegan food, travel, skincare, "
    "finance, gaming, dogs ... I do it all ✨",
    "every.niche.nico": "Fitness | recipes | travel | makeup | crypto | parenting | cats | "
    "music | home decor | coffee | hiking",
    "alles.anna": "Kaffee, Backen, Laufen, Yoga, Reisen, Mode, Finanzen, Gaming, Hunde – "
    "ich mache alles",
}
BRIEFS = [
    "Home baristas who make slow pour-over coffee a morning ritual.",
    "Sourdough bakers who share their starter and weekend loaves.",
    "Trail runners who train in the mountains.",
    "Yoga teachers with a calm, mindful practice.",
    "Skincare routines for sensitive skin.",
    "Personal finance and budgeting for young people.",
    "Dog owners who adopt rescue dogs.",
]


@pytest.fixture(scope="module")
def recommender(tmp_path_factory: pytest.TempPathFactory, model_dir: Path) -> Iterator[Recommender]:
    embedder = LocalMiniLMEmbedder(model_dir)
    index = CreatorIndex.open(tmp_path_factory.mktemp("stuffing"), embedder, DEFAULT_SCHEME)
    stuffed = [
        Creator(handle=handle, platform="instagram", followers=6_500, bio=bio)
        for handle, bio in STUFFED.items()
    ]
    index.upsert([*load_roster(SAMPLE_ROSTER).creators, *stuffed])
    yield Recommender(index, DEFAULT_SCHEME, embedder)
    index.close()


@pytest.mark.parametrize("brief", BRIEFS)
def test_a_bio_claiming_every_niche_wins_no_brief(recommender: Recommender, brief: str) -> None:
    result = recommender.recommend(RecommendRequest(brief=brief))
    assert result.picks
    assert not {pick.handle for pick in result.picks} & set(STUFFED)


@pytest.mark.parametrize("bio", STUFFED.values())
def test_stuffed_bios_are_damped_but_still_pickable(bio: str) -> None:
    assert stuffing_penalty(bio) == MAX_PENALTY
    assert unpickable_reason(bio) is None  # a weak fit, not a banned creator


@pytest.mark.parametrize(
    "bio",
    [
        "Sourdough, rye, pastries, coffee, croissants, baking classes",
        "Mum of 3 | recipes, travel & fitness | Berlin",
        "Trail running, ultra marathons, mountain hikes, camping, gear reviews",
        "Instagram | TikTok | YouTube | Twitch | brunch spots",
        "I bake bread and drink coffee every morning; weekends are for long runs.",
    ],
)
def test_a_genuine_list_within_a_few_niches_is_not_damped(bio: str) -> None:
    assert stuffing_penalty(bio) == 0.0


def test_the_penalty_grows_with_the_niches_beyond_a_lifestyle_few() -> None:
    five = "Fashion | beauty | travel | food | fitness"
    seven = "Fashion | beauty | travel | food | fitness | gaming | finance"
    assert niche_count(five) == 5 and niche_count(seven) == 7
    assert 0 < stuffing_penalty(five) < stuffing_penalty(seven) < MAX_PENALTY


def test_a_long_bio_is_read_only_as_far_as_its_opening() -> None:
    bio = "Slow coffee and long walks. " * 200 + STUFFED["doitall.dana"]
    assert stuffing_penalty(bio) == 0.0
