"""``CreatorIndex.remove``: a creator leaves Chroma and the catalog, and other catalogs follow."""

from __future__ import annotations

from pathlib import Path

from retrieval.store.catalog import CreatorFilter
from tests.retrieval import test_index
from tests.retrieval.test_index import ROSTER, Store
from tests.support.chroma_server import chroma_server  # noqa: F401 (a pytest fixture)
from tests.support.waiting import eventually

# test_index's fixtures: the model, and an index embedded and on a `chroma run` server.
embedder = test_index.embedder
store = test_index.store
server_store = test_index.server_store

GONE = "instagram:veganbakes"


def test_remove_deletes_the_record_the_catalog_row_and_its_text(store: Store) -> None:
    with store.open() as index:
        index.upsert(ROSTER)
        vector = index.vectors([GONE])[GONE]
        revision = index.revision

        removed = index.remove([GONE, "youtube:nobody"])

        assert (removed.index, removed.catalog) == ([GONE], [GONE])
        assert index.revision not in (None, revision)
        assert index.get(GONE) is None and index.count() == len(ROSTER) - 1
        assert [c.key for c in index.find_handle("veganbakes")] == ["tiktok:veganbakes"]
        assert GONE not in [hit.key for hit in index.dense_search(vector, len(ROSTER))]
        assert GONE not in [hit.key for hit in index.lexical_search("vegan cakes sourdough", 9)]
        assert GONE not in [c.key for c in index.by_followers(CreatorFilter())]
        assert index.vectors([GONE]) == {}
        nothing = index.remove([GONE])
        assert (nothing.index, nothing.catalog, index.revision) == ([], [], index.revision)
    # A catalog rebuilt from Chroma alone (a new machine, a lost cache) does not bring it back.
    (store.data_dir / "catalog.sqlite3").unlink(missing_ok=True)
    with store.open() as index:
        assert index.get(GONE) is None and index.count() == len(ROSTER) - 1


def test_a_removal_reaches_another_machines_catalog(server_store: Store, tmp_path: Path) -> None:
    with (
        server_store.open() as here,
        server_store.open(data_dir=tmp_path / "other-machine") as there,
    ):
        here.revision_check_interval = 0
        there.upsert(ROSTER)
        assert eventually(lambda: here.get(GONE) is not None)
        there.remove([GONE])
        assert eventually(lambda: here.get(GONE) is None)
        assert here.count() == len(ROSTER) - 1


def test_listing_filters_and_orders_in_the_catalog(store: Store) -> None:
    with store.open() as index:
        index.upsert(ROSTER)
        everyone = list(index.by_followers(CreatorFilter()))
        assert [c.followers for c in everyone] == sorted(
            (c.followers for c in ROSTER), reverse=True
        )
        german = CreatorFilter(country="DE")
        assert [c.key for c in index.by_followers(german)] == [GONE]
        tiktok_micro = CreatorFilter(tier="micro", platform="tiktok")
        keys = [c.key for c in index.by_followers(tiktok_micro)]
        assert keys == ["tiktok:fitwithomar", "tiktok:veganbakes"]
        assert index.count_matching(tiktok_micro) == 2
        assert [c.key for c in index.by_followers(tiktok_micro, limit=1)] == keys[:1]
