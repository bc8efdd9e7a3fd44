"""Story fit as users judge it, on a small roster of its own with the product's embedder: the
creator's subject beats an incidental word, a fitting bio in another language is found for an
English brief, short bios are bios, and every pick says how well it fits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from retrieval.contract import Recommendation, RecommendRequest
from retrieval.engine.recommender import Recommender
from retrieval.ports import Embedder
from tests.support.small_roster import engine_over

pytest_plugins = ("tests.support.fixtures_recommend",)

BIOS = {
    "pourover": "Coffee addict ☕ pour-over every morning",
    "beanstew": "Family dinners on a budget: beans, lentils and one-pot stews 🍲",
    "veganbaker": "Vegan baker",
    "trailrunner": "Trail runner 🏔️",
    "nailsbyjo": "Nail art tutorials 💅 press-ons and gel at home",
    "gamerdad": "Dad, gamer, streams Elden Ring every night 🎮",
    "bookstack": "Book reviews and reading vlogs 📚",
    "contactonly": "📩 hello@example.com",
    "salsaqueen": "Clases de salsa y bachata 💃 Madrid",
    "sneakers": "Sneaker collector, unboxings and restocks 👟",
    "momoftwins": "Mum of twins, honest parenting 🍼",
    "plantshelf": "Houseplants in a tiny flat 🌿 propagation tips",
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[Recommender]:
    with engine_over(tmp_path_factory.mktemp("story-fit"), embedder, BIOS) as engine:
        yield engine


def micro_picks(engine: Recommender, brief: str, micro: int = 3) -> Recommendation:
    return engine.recommend(RecommendRequest(brief=brief, macro=0, micro=micro))


def handles(answer: Recommendation) -> list[str]:
    return [pick.handle for pick in answer.picks]


def test_the_subject_beats_an_incidental_word(engine: Recommender) -> None:
    """MiniLM alone puts the bean stews first for this brief ("beans"); the fused fit does not."""
    answer = micro_picks(engine, "A specialty coffee roastery: we want people who brew at home.")
    assert handles(answer)[0] == "pourover"


def test_a_spanish_bio_is_found_for_an_english_brief(engine: Recommender) -> None:
    answer = micro_picks(engine, "Dance shoes brand looking for salsa dancers and teachers.", 1)
    assert handles(answer) == ["salsaqueen"]


@pytest.mark.parametrize(
    ("brief", "handle"),
    [
        ("Plant-based bakery: cakes without eggs or butter.", "veganbaker"),
        ("Running shoes for mountain trails.", "trailrunner"),
    ],
)
def test_a_short_bio_is_a_bio(engine: Recommender, brief: str, handle: str) -> None:
    assert handles(micro_picks(engine, brief, 1)) == [handle]


def test_a_contact_only_bio_is_never_picked(engine: Recommender) -> None:
    answer = micro_picks(engine, "Email newsletters and contact management software.", 12)
    assert "contactonly" not in handles(answer)


def test_every_pick_carries_a_fit_label_and_a_weak_one_says_so(engine: Recommender) -> None:
    answer = micro_picks(engine, "Houseplant delivery for people with small flats.", 3)
    labels = {pick.handle: pick.fit for pick in answer.picks}
    assert labels["plantshelf"] in {"strong", "good"}
    assert all(pick.why.startswith(f"{pick.fit.capitalize()} fit:") for pick in answer.picks)
    weak = [pick for pick in answer.picks if pick.fit == "weak"]
    shortfall = next(s for s in answer.shortfall if s.tier == "micro") if weak else None
    assert shortfall is None or f"{len(weak)} weak fit(s) are shown as weak" in shortfall.reason
    assert '"fit":' in answer.model_dump_json()
