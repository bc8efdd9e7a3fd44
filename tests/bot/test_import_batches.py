"""An import commits batch by batch, telling how far it is (issue 12)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import service as service_module
from bot.service import ImportProgress, StoryfitService
from bot.settings import Settings


def test_each_batch_is_searchable_as_soon_as_it_is_committed(
    tmp_path: Path, model_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service_module, "IMPORT_BATCH", 2)
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
    # The next batch is embedded while the last one is written: searchable may run ahead of done.
    assert all(count >= done for done, _, count in seen), "committed means searchable"
    assert sorted({done for done, _, _ in seen}) == [0, 2, 4, 5]
    embedded = [embedded for _, embedded, _ in seen]
    assert embedded == sorted(embedded) and embedded[-1] == 5, "bios embedded never go back"
    assert len(report.upsert.added) == 5 and report.load.rejected_count == 1
