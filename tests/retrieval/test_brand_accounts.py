"""Brand accounts on a real store with the product's embedder: recognised at import, left out of
a mix unless asked for (with a notice saying so), picked when asked for, and stores written
before kinds existed still open, with every creator read as a creator."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import chromadb
import pytest
from chromadb.config import Settings as ChromaSettings

from retrieval.contract import Recommendation, RecommendRequest
from retrieval.engine.recommender import Recommender
from retrieval.ports import Embedder
from retrieval.roster.creator import Creator
from retrieval.roster.load import load_roster_text
from retrieval.store.index import DEFAULT_COLLECTION, CreatorIndex
from retrieval.tiers import DEFAULT_SCHEME

pytest_plugins = ("tests.support.fixtures_recommend",)

ROSTER = """handle,platform,followers,bio
dewdrop,instagram,3500,"Official store of Dewdrop® 🧴 gentle serums for dry skin. Shop now!"
glowryskin,instagram,4000,"Our products: hydrating serums for sensitive skin 🌿 We ship worldwide"
makeupmeg,instagram,3000,"Makeup looks and skincare hauls 💄 honest reviews"
gymtom,instagram,2800,"Powerlifting and meal prep 🏋️"
bookish,instagram,2500,"Book reviews and reading vlogs 📚"
"""
BRIEF = "Gentle serums for sensitive skin: we want people who love a calm skincare routine."


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory, embedder: Embedder) -> Path:
    path = tmp_path_factory.mktemp("brands")
    load = load_roster_text(ROSTER.encode(), "roster.csv")
    assert not load.rejected
    with CreatorIndex.open(path, embedder, DEFAULT_SCHEME) as index:
        index.upsert(load.creators)
    return path


@pytest.fixture(scope="module")
def engine(data_dir: Path, embedder: Embedder) -> Iterator[Recommender]:
    with CreatorIndex.open(data_dir, embedder, DEFAULT_SCHEME) as index:
        yield Recommender(index, DEFAULT_SCHEME, embedder)


def micro(engine: Recommender, n: int, *, include_brands: bool = False) -> Recommendation:
    request = RecommendRequest(brief=BRIEF, macro=0, micro=n, include_brands=include_brands)
    return engine.recommend(request)


def test_import_recognises_the_brand_accounts(engine: Recommender) -> None:
    kinds = {creator.handle: creator.kind for creator in engine.index.iter_creators()}
    assert kinds == {
        "glowryskin": "brand",
        "dewdrop": "brand",
        "makeupmeg": "creator",
        "gymtom": "creator",
        "bookish": "creator",
    }


def test_the_best_matching_brand_account_is_skipped_by_default_and_said(
    engine: Recommender,
) -> None:
    answer = micro(engine, 1)
    assert [pick.handle for pick in answer.picks] == ["makeupmeg"]
    (notice,) = [n for n in answer.notices if "brand" in n]
    assert notice.startswith("1 brand account was left out (@glowryskin)")
    assert "--include-brands" in notice


def test_asked_for_brand_accounts_are_picked_and_shown_as_brands(engine: Recommender) -> None:
    answer = micro(engine, 1, include_brands=True)
    assert [(pick.handle, pick.kind) for pick in answer.picks] == [("glowryskin", "brand")]
    assert not any("brand account" in notice for notice in answer.notices)


def test_no_notice_when_no_brand_account_would_have_been_picked(engine: Recommender) -> None:
    answer = engine.recommend(RecommendRequest(brief="Powerlifting meal prep", macro=0, micro=1))
    assert [pick.handle for pick in answer.picks] == ["gymtom"]
    assert not any("brand account" in notice for notice in answer.notices)


def without_kinds(data_dir: Path) -> None:
    """Rewrite every record as a Storyfit without kinds stored it, and move the revision so the
    next open rebuilds its catalog from them."""
    client = chromadb.PersistentClient(
        path=str(data_dir / "chroma"), settings=ChromaSettings(anonymized_telemetry=False)
    )
    collection = client.get_collection(DEFAULT_COLLECTION)
    stored = collection.get(include=["metadatas"])
    metadatas = []
    for metadata in stored["metadatas"] or []:
        record = json.loads(str(metadata["record"]))
        record.pop("kind")
        old = {name: value for name, value in metadata.items() if name != "kind"}
        hashed = Creator.model_validate(record).content_hash()  # as it was computed then
        metadatas.append({**old, "record": json.dumps(record), "record_hash": hashed})
    collection.update(ids=stored["ids"], metadatas=metadatas)  # type: ignore[arg-type]
    revision = {**(collection.metadata or {}), "storyfit_revision": uuid.uuid4().hex}
    collection.modify(metadata=revision)
    client.close()  # type: ignore[attr-defined]


def test_a_store_written_before_kinds_opens_and_reads_everyone_as_a_creator(
    tmp_path: Path, embedder: Embedder
) -> None:
    load = load_roster_text(ROSTER.encode(), "roster.csv")
    with CreatorIndex.open(tmp_path, embedder, DEFAULT_SCHEME) as index:
        index.upsert(load.creators)
    without_kinds(tmp_path)
    with CreatorIndex.open(tmp_path, embedder, DEFAULT_SCHEME) as index:
        assert {creator.kind for creator in index.iter_creators()} == {"creator"}
        answer = Recommender(index, DEFAULT_SCHEME, embedder).recommend(
            RecommendRequest(brief=BRIEF, macro=0, micro=1)
        )
        assert [pick.handle for pick in answer.picks] == ["glowryskin"]
        # Re-importing recognises the brands; the creators' records are unchanged.
        report = index.upsert(load.creators)
        assert sorted(report.updated) == ["instagram:dewdrop", "instagram:glowryskin"]
        assert report.embedded == 0
