"""An import commits batch by batch, telling how far it is (issue 12)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot import service as service_module
from bot.history.engine import utc_now
from bot.service import ImportProgress, StoryfitService
from bot.settings import Settings
from retrieval.roster.stream import MAX_LISTED_ROWS
from retrieval.store import index as index_module
from retrieval.store.index import UpsertReport


def test_each_batch_is_searchable_as_soon_as_it_is_committed(
    tmp_path: Path, model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service_module, "IMPORT_BATCH", 2)
    monkeypatch.setattr(index_module, "MAX_LISTED_ROWS", 3)
    roster = tmp_path / "roster.csv"
    rows = [
        f"c{number},tiktok,{1000 + number},Bakes sourdough loaf {number}" for number in range(5)
    ]
    roster.write_text("handle,platform,followers,bio\n" + "\n".join(rows) + "\nbad,tiktok,x,y\n")
    seen: list[tuple[int, int, int]] = []
    settings = Settings(data_dir=tmp_path / "data", embedding_model_dir=model_dir)
    with StoryfitService(settings) as service:

        def record(step: ImportProgress) -> None:
            # what another reader of this index would find at this moment
            seen.append((step.done, step.embedded, service.index.count()))
            assert (step.rows, step.creators) == (6, 5)

        report = service.import_roster(roster, progress=record)
        snapshot = service.history.roster_before(utc_now() + timedelta(seconds=1))
    # The next batch is embedded while the last one is written: searchable may run ahead of done.
    assert all(count >= done for done, _, count in seen), "committed means searchable"
    assert sorted({done for done, _, _ in seen}) == [0, 2, 4, 5]
    embedded = [embedded for _, embedded, _ in seen]
    assert embedded == sorted(embedded) and embedded[-1] == 5, "bios embedded never go back"
    assert report.upsert.added_count == 5 and report.load.rejected_count == 1
    assert report.upsert.added == ["tiktok:c0", "tiktok:c1", "tiktok:c2"], "the first keys, listed"
    # The digest's roster snapshot holds every creator the import committed, with its followers.
    assert snapshot is not None
    assert snapshot.followers == {f"tiktok:c{number}": 1000 + number for number in range(5)}


def test_an_import_report_counts_every_key_and_lists_a_bounded_number() -> None:
    total = UpsertReport(added=[], updated=[], unchanged=[], embedded=0)
    for batch in range(14):  # 3,584 creators, as a roster's batches of 256 add up
        keys = [f"tiktok:c{batch}_{number}" for number in range(256)]
        total.add(UpsertReport(added=keys, updated=keys[:2], unchanged=keys[2:3], embedded=258))
    assert (total.added_count, total.updated_count, total.unchanged_count) == (3584, 28, 14)
    assert total.count == 3584 + 28 + 14 and total.embedded == 14 * 258
    assert len(total.added) == MAX_LISTED_ROWS and total.added[0] == "tiktok:c0_0"
    assert len(total.updated) == 28 and len(total.unchanged) == 14
