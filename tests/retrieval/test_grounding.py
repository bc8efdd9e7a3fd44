"""Reading the picks' bios by meaning (issue 9), with the product's embedder on a small roster
of its own: a qualifier the brief stresses that no pick carries is said plainly, a met one is
not; a pick sharing no word with the brief is quoted with the segment that carries the fit,
never with text that is not in its bio."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retrieval.contract import Recommendation, RecommendRequest
from retrieval.engine.explain import explain_pick
from retrieval.engine.grounding import MAX_TEXTS, SegmentVectors, ground
from retrieval.engine.mix import plan_slots
from retrieval.engine.qualifiers import stressed_qualifiers
from retrieval.engine.ranking import Candidate, build_query
from retrieval.engine.recommender import Recommender
from retrieval.ports import Embedder, FloatMatrix, FloatVector, PartEmbedder, Progress
from retrieval.roster.creator import Creator
from retrieval.tiers import DEFAULT_SCHEME
from tests.support.small_roster import engine_over

pytest_plugins = ("tests.support.fixtures_recommend",)

POTTER = "Mum of three 👶 | Amateur potter, wheel-thrown stoneware"
BIOS = {
    "potterymum": POTTER,
    "momoftwins": "Mum of twins, honest parenting 🍼",
    "sourdoughsue": "Sourdough every weekend 🍞 Long fermentation, crusty loaves",
    "veganbaker": "Vegan baker",
    "trailrunner": "Trail runner 🏔️",
    "gamerdad": "Dad, gamer, streams Elden Ring every night 🎮",
    "plantshelf": "Houseplants in a tiny flat 🌿 propagation tips",
    "bookstack": "Book reviews and reading vlogs 📚",
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Iterator[Recommender]:
    with engine_over(tmp_path_factory.mktemp("grounding"), embedder, BIOS) as engine:
        yield engine


@pytest.mark.parametrize(
    ("story", "stressed"),
    [
        ("A fitness app for mothers who run.", ["mothers"]),
        ("A headset for gamers over 40, built to last.", ["gamers over 40"]),
        ("Ropa deportiva para mujeres.", ["mujeres"]),
        ("Plastic-free shampoo bars; glutenfreie Backmischung.", ["Plastic-free", "glutenfreie"]),
        ("A donation for every bag sold, for our launch, for years.", []),
        # Durations: a count, then a unit of time.
        ("A meditation app for ten minutes a day, for a few weeks.", []),
        ("Un défi pour trois semaines; una sfida per 30 secondi; Kurse für zwei Wochen.", []),
        # Purposes: an infinitive after para/pour/per (object pronouns may come first).
        ("Una app para comprar entradas de espectáculos de humor.", []),
        ("Une tisane pour se détendre, pour les mères.", ["les mères"]),
        ("Integratori per imparare a correre, per infermiere.", ["infermiere"]),
        ("Ropa para mujer, para cuidarse.", ["mujer"]),
        # "look for" takes what is sought as its object; German "um ... zu" ends the phrase.
        ("We are looking for creators into retro gaming.", []),
        ("Eine App für Mütter, um fit zu werden.", ["Mütter"]),
        # A "for" stranded at the end of a relative clause is followed by its verb.
        ("The families we build for have children who need quiet.", []),
    ],
)
def test_the_qualifiers_a_brief_stresses_are_read_in_any_niche(
    story: str, stressed: list[str]
) -> None:
    """Audience phrases and restrictive compounds are qualifiers; purposes and durations are
    not (modifier candidates, e.g. "fitness" of "app", are checked against the picks)."""
    found = [q.text for q in stressed_qualifiers(story) if q.head is None]
    assert found == stressed


@pytest.mark.parametrize(
    "story",
    [
        "Merch for @bigstar lovers and for moms over 40.",
        "Tees for bigstar.shop.com lovers; mail bigstar@example.org; https://bigstar.io/x-free",
    ],
)
def test_handles_addresses_and_emails_are_never_read_as_qualifiers(story: str) -> None:
    assert all("bigstar" not in q.text.lower() for q in stressed_qualifiers(story))


def micro_picks(engine: Recommender, brief: str, micro: int) -> Recommendation:
    return engine.recommend(RecommendRequest(brief=brief, macro=0, micro=micro))


def test_a_qualifier_no_creator_has_is_said_unmet(engine: Recommender) -> None:
    answer = micro_picks(engine, "Our gluten-free flour is for bakers. We want people who bake.", 2)
    assert answer.picks
    [unmet] = [u for u in answer.unmet if u.qualifier == "gluten-free"]
    assert unmet.found == 0 and unmet.picks == len(answer.picks)
    assert unmet.reason.startswith("No pick's bio mentions “gluten-free” or says it in other")
    assert all("gluten-free" not in pick.carries for pick in answer.picks)


def notice_text(answer: Recommendation) -> str:
    """Everything the answer says about qualifiers: the unmet notices and the picks' carries."""
    said = [f"{u.qualifier} {u.reason}" for u in answer.unmet]
    return " ".join([*said, *(c for pick in answer.picks for c in pick.carries)]).lower()


@pytest.mark.parametrize(
    ("brief", "never"),
    [
        ("A bread-baking course for ten minutes a day. We want people who bake.", "minute"),
        ("Una app para comprar entradas de pan. Buscamos panaderos.", "comprar"),
        ("Sourdough starter kits for @sourdoughsue fans and lovers. We want bakers.", "sue"),
    ],
)
def test_durations_purposes_and_handles_get_no_notice(
    engine: Recommender, brief: str, never: str
) -> None:
    answer = micro_picks(engine, brief, 2)
    assert answer.picks
    assert never not in notice_text(answer)


def test_a_qualifier_a_pick_carries_gets_no_notice(engine: Recommender) -> None:
    answer = micro_picks(engine, "Baby carriers for mothers. We want honest parenting.", 1)
    [pick] = answer.picks
    assert pick.handle == "momoftwins"
    assert "mothers" in pick.carries  # "Mum of twins": carried in meaning, not in words
    assert answer.unmet == []


def test_evidence_for_a_pick_sharing_no_word_is_the_segment_that_fits(
    engine: Recommender,
) -> None:
    """Before, the bio's opening ("Mum of three") was quoted for a ceramics brief."""
    answer = micro_picks(
        engine, "A ceramics studio selling glazes and kilns wants hobby makers.", 1
    )
    [pick] = answer.picks
    assert pick.handle == "potterymum"
    assert pick.evidence == ["Amateur potter, wheel-thrown stoneware"]
    assert "closest to it" in pick.why
    assert all(quote in POTTER for quote in pick.evidence)


class CountingEmbedder:
    """The product's embedder, counting the texts embedded part by part (segments, qualifiers)."""

    def __init__(self, embedder: Embedder) -> None:
        assert isinstance(embedder, PartEmbedder)
        self._embedder = embedder
        self.texts: list[str] = []
        self.identity = embedder.identity
        self.dimensions = embedder.dimensions
        self.parts = embedder.parts
        self.light_part = embedder.light_part

    def embed(self, texts: Sequence[str], progress: Progress | None = None) -> FloatMatrix:
        return self._embedder.embed(texts, progress)

    def embed_query(self, text: str) -> FloatVector:
        return self._embedder.embed_query(text)

    def embed_part(self, texts: Sequence[str], part: int) -> FloatMatrix:
        self.texts.extend(texts)
        return self._embedder.embed_part(texts, part)


def test_an_answer_embeds_a_bounded_number_of_segments(embedder: Embedder) -> None:
    """Seven long bios sharing no word with the brief and not carrying its qualifier: before,
    every segment of every pick was embedded (28 texts, ~2 ms each); now the first segments of
    the first picks, within the per-answer budget, and the rest are read by their bio vector."""
    story = "A ceramics studio for left-handed people. We sell kilns."
    counting = CountingEmbedder(embedder)
    bios = [
        f"Mum of {n} | Amateur potter, wheel-thrown stoneware | Sunday markets | Glaze tests"
        for n in ("two", "three", "four", "five", "six", "seven", "eight")
    ]
    picks = [
        Candidate(
            creator=Creator(handle=f"c{n}", platform="instagram", followers=2_000, bio=bio),
            side="micro",
            tier="micro",
            vector=np.asarray(embedder.embed([bio])[0]),
        )
        for n, bio in enumerate(bios)
    ]
    qualifiers = stressed_qualifiers(story)
    grounding = ground(picks, build_query(story, embedder), qualifiers, SegmentVectors(counting))
    segments = [text for text in counting.texts if text not in {q.text for q in qualifiers}]
    assert 0 < len(segments) <= MAX_TEXTS
    assert grounding.fitting
    assert all(any(fit in bio for bio in bios) for fit in grounding.fitting.values())


segment_pieces = st.sampled_from(
    ["Mum of three", "Amateur potter", "wheel-thrown", " | ", "👶", "\n", ". ", "🍞", "Café", " "]
)
bios = st.one_of(
    st.lists(segment_pieces, max_size=12).map("".join),
    st.text(max_size=80),
)


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(bio_list=st.lists(bios, min_size=1, max_size=4))
def test_the_fitting_segment_and_every_quote_are_exact_substrings_of_the_bio(
    embedder: Embedder, bio_list: list[str]
) -> None:
    story = "A ceramics studio for potters over 40 wants plastic-free makers."
    query = build_query(story, embedder)
    picks = [
        Candidate(
            creator=Creator(handle=f"c{n}", platform="instagram", followers=2_000, bio=bio),
            side="micro",
            tier="micro",
            vector=np.asarray(embedder.embed([bio or " "])[0]),
        )
        for n, bio in enumerate(bio_list)
    ]
    qualifiers = stressed_qualifiers(story)
    grounding = ground(picks, query, qualifiers, SegmentVectors(embedder))
    plan = plan_slots("balanced", DEFAULT_SCHEME).micro
    for pick in picks:
        fitting = grounding.fitting.get(pick.key)
        assert fitting is None or fitting in pick.creator.bio
        assert set(grounding.carries[pick.key]) <= {q.text for q in qualifiers}
        explained = explain_pick(pick, query, plan, DEFAULT_SCHEME, "the brief", fitting=fitting)
        assert all(quote and quote in pick.creator.bio for quote in explained.evidence)
