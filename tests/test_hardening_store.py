"""No record, failed re-index or unreachable server makes the creator store unusable (issue 10).

Real embedded Chroma, a real ``chroma run`` server, the real model and the real ``storyfit`` CLI.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from pathlib import Path

import chromadb
import pytest
from chromadb.config import Settings as ChromaSettings

import retrieval.index
from bot.service import StoryfitService, UnknownHandleError
from bot.settings import load_settings
from retrieval.embeddings import FloatMatrix, LocalMiniLMEmbedder
from retrieval.index import DEFAULT_COLLECTION, ChromaUnavailableError, CreatorIndex
from retrieval.recommend import Recommender
from retrieval.recommendation import RecommendRequest
from retrieval.roster import Creator
from retrieval.tiers import DEFAULT_SCHEME
from tests.chroma_server import (  # noqa: F401 (chroma_server is a pytest fixture)
    chroma_server,
    running_chroma,
)
from tests.conftest import SAMPLE_ROSTER
from tests.storyfit_process import run_storyfit
from tests.test_index import ROSTER, FailingEmbedder, Store, _store

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")

ROSTER_CSV = (
    "handle,platform,followers,bio\n"
    "janecooks,instagram,8400,Weeknight vegetarian dinners for busy parents.\n"
    "trailtess,tiktok,12300,Ultra runner; muddy mountain miles before work.\n"
)
BIGSHOT = "tiktok:bigshot"


@pytest.fixture(params=["embedded", pytest.param("server", marks=pytest.mark.server)])
def store(request: pytest.FixtureRequest, tmp_path: Path, embedder: LocalMiniLMEmbedder) -> Store:
    return _store(request, tmp_path, embedder)


@pytest.fixture(scope="module")
def embedder(model_dir: Path) -> LocalMiniLMEmbedder:
    return LocalMiniLMEmbedder(model_dir=model_dir)


def write_behind_the_importer(data_dir: Path, key: str, metadata: dict[str, object]) -> None:
    """Add a record straight into the embedded collection and move its revision, as a writer
    would, so the next open rebuilds the catalog from it."""
    client = chromadb.PersistentClient(
        path=str(data_dir / "chroma"), settings=ChromaSettings(anonymized_telemetry=False)
    )
    collection = client.get_collection(DEFAULT_COLLECTION)
    neighbour = collection.get(limit=1, include=["embeddings"])["embeddings"]
    assert neighbour is not None
    collection.add(ids=[key], embeddings=[neighbour[0]], metadatas=[metadata])  # type: ignore[list-item]
    revision = {**(collection.metadata or {}), "storyfit_revision": uuid.uuid4().hex}
    collection.modify(metadata=revision)
    client.close()  # type: ignore[attr-defined]


def huge_record() -> dict[str, object]:
    record = {"handle": "bigshot", "platform": "tiktok", "followers": 10**20, "bio": "Everything."}
    return {
        "platform": "tiktok",
        "handle": "bigshot",
        "followers": 10**20,
        "tier": "macro",
        "record": json.dumps(record),
        "record_hash": "x",
        "embed_hash": "y",
    }


def warning_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if BIGSHOT in line]


# -- one record can never make the store unopenable ----------------------------------------------


def test_a_record_the_catalog_cannot_hold_is_skipped_and_reported_on_every_path(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER_CSV, encoding="utf-8")
    assert run_storyfit(data_dir, "ingest", str(roster)).returncode == 0
    write_behind_the_importer(data_dir, BIGSHOT, huge_record())

    answer = run_storyfit(data_dir, "recommend", "vegetarian dinners for busy families", "--json")
    assert answer.returncode == 0, answer.stderr
    picks = [pick["handle"] for pick in json.loads(answer.stdout)["picks"]]
    assert "janecooks" in picks and "bigshot" not in picks
    (warning,) = warning_lines(answer.stderr)
    assert "100,000,000,000,000,000,000" in warning and "storyfit ingest" in warning
    assert "Traceback" not in answer.stderr

    tier = run_storyfit(data_dir, "tier", "@janecooks", "--json")
    assert tier.returncode == 0 and json.loads(tier.stdout)["tier"] == "micro"
    assert len(warning_lines(tier.stderr)) == 1

    # Importing the creator with a real count repairs the store: no more warning.
    roster.write_text(ROSTER_CSV + "bigshot,tiktok,2000000,Everything.\n", encoding="utf-8")
    fixed = run_storyfit(data_dir, "ingest", str(roster))
    assert fixed.returncode == 0, fixed.stderr
    tier = run_storyfit(data_dir, "tier", "@bigshot", "--json")
    assert tier.returncode == 0 and json.loads(tier.stdout)["followers"] == 2_000_000
    assert warning_lines(tier.stderr) == []


@pytest.mark.parametrize(
    ("metadata", "reason"),
    [
        ({"note": "written by another tool"}, "not written by Storyfit"),
        ({**huge_record(), "record": "{not json"}, "not valid"),
        ({**huge_record(), "record": json.dumps({"handle": "x", "followers": 1})}, "another"),
    ],
)
def test_a_record_storyfit_cannot_read_is_left_out_not_fatal(
    tmp_path: Path,
    embedder: LocalMiniLMEmbedder,
    metadata: dict[str, object],
    reason: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    with CreatorIndex.open(tmp_path, embedder, DEFAULT_SCHEME) as index:
        index.upsert(ROSTER)
    write_behind_the_importer(tmp_path, BIGSHOT, metadata)
    with CreatorIndex.open(tmp_path, embedder, DEFAULT_SCHEME) as index:
        assert index.count() == len(ROSTER)
        assert index.tier_counts() == {"micro": 5, "mid": 2, "macro": 2}
    (warning,) = [r.getMessage() for r in caplog.records if BIGSHOT in r.getMessage()]
    assert reason in warning and "storyfit ingest --reindex" in warning


def test_an_upsert_refuses_a_count_the_catalog_cannot_hold_before_writing(store: Store) -> None:
    huge = Creator.model_construct(**{**ROSTER[0].model_dump(), "followers": 2**63})
    with store.open() as index:
        with pytest.raises(ValueError, match="nothing was written"):
            index.upsert([*ROSTER[1:], huge])
        assert index.count() == 0
    with store.open() as index:
        assert index.upsert(ROSTER).embedded == len(ROSTER)


# -- a re-index is built beside the index in use -------------------------------------------------


class BrokenEmbedder(FailingEmbedder):
    """The real model whose second batch fails, like an embedding service going away."""

    def embed(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> FloatMatrix:
        if self.calls == 1:
            raise RuntimeError("the embedding service went away")
        return super().embed(texts, progress)


def _vegan_picks(index: CreatorIndex, embedder: LocalMiniLMEmbedder) -> list[str]:
    answer = Recommender(index, DEFAULT_SCHEME, embedder).recommend(
        RecommendRequest(brief="vegan cakes and dairy-free desserts")
    )
    return [pick.handle for pick in answer.picks]


@pytest.mark.parametrize("failure", [RuntimeError, KeyboardInterrupt])
def test_a_failed_reindex_leaves_the_old_index_whole(
    store: Store,
    embedder: LocalMiniLMEmbedder,
    monkeypatch: pytest.MonkeyPatch,
    failure: type[BaseException],
) -> None:
    monkeypatch.setattr(retrieval.index, "UPSERT_CHUNK", 4)
    with store.open() as index:
        index.upsert(ROSTER)
        before = _vegan_picks(index, embedder)
    assert "veganbakes" in before
    failing = (
        BrokenEmbedder(embedder, fail_on=0)
        if failure is RuntimeError
        else FailingEmbedder(embedder, fail_on=2)
    )
    others = [c.model_copy(update={"handle": f"new{n}"}) for n, c in enumerate(ROSTER)]
    with pytest.raises(failure):
        CreatorIndex.reindex(
            store.data_dir, failing, DEFAULT_SCHEME, others, store.url, store.collection
        )
    assert failing.calls >= 1  # the build had started embedding

    with store.open() as index:
        assert index.count() == len(ROSTER)
        assert index.find_handle("new0") == []
        assert _vegan_picks(index, embedder) == before
    client = (
        chromadb.HttpClient(port=int(store.url.rsplit(":", 1)[1]))
        if store.url
        else chromadb.PersistentClient(path=str(store.data_dir / "chroma"))
    )
    names = [c.name for c in client.list_collections() if c.name.startswith(store.collection)]
    assert names == [store.collection]  # the partial build was dropped
    assert len(list(store.data_dir.glob("catalog*.sqlite3"))) == 1  # and its catalog too


def test_a_complete_reindex_replaces_the_index(store: Store, embedder: LocalMiniLMEmbedder) -> None:
    with store.open() as index:
        index.upsert(ROSTER)
    reindexed, report = CreatorIndex.reindex(
        store.data_dir, embedder, DEFAULT_SCHEME, ROSTER[:3], store.url, store.collection
    )
    with reindexed as index:
        assert sorted(report.added) == sorted(c.key for c in ROSTER[:3])
        assert index.count() == 3 and index.find_handle("catmomlife") == []
    with store.open() as index:
        assert index.count() == 3
        assert "veganbakes" in _vegan_picks(index, embedder)


def test_a_reindex_stopped_between_its_renames_gets_the_old_index_back(
    tmp_path: Path, embedder: LocalMiniLMEmbedder
) -> None:
    with CreatorIndex.open(tmp_path, embedder, DEFAULT_SCHEME) as index:
        index.upsert(ROSTER)
    client = chromadb.PersistentClient(path=str(tmp_path / "chroma"))
    client.get_collection(DEFAULT_COLLECTION).modify(name=f"{DEFAULT_COLLECTION}.old-0123456789ab")
    client.close()  # type: ignore[attr-defined]
    with CreatorIndex.open(tmp_path, embedder, DEFAULT_SCHEME) as index:
        assert index.count() == len(ROSTER)
        assert "veganbakes" in _vegan_picks(index, embedder)


# -- /tier never waits for the Chroma server -----------------------------------------------------


@pytest.mark.server
def test_handle_lookups_answer_from_the_catalog_without_the_server(tmp_path: Path) -> None:
    with running_chroma(tmp_path / "server") as url:
        settings = load_settings(data_dir=tmp_path / "data", chroma_url=url)
        service = StoryfitService(settings)
        service.import_roster(SAMPLE_ROSTER)
        service.index.revision_check_interval = 0  # a read-time check would now be due
    with service:
        # The server is gone: a lookup that touched it would raise ChromaUnavailableError.
        lookup = service.lookup_tier("@balconyjungle")
        assert (lookup.followers, lookup.tier) == (510_000, "macro")
        with pytest.raises(UnknownHandleError, match="balconyjungle"):
            service.lookup_tier("@balconyjungel")
        assert sum(service.tier_counts().values()) > 0
        with pytest.raises(ChromaUnavailableError):
            service.index.dense_search(service.embedder.embed_query("plants"), 3)
