"""The roster import messages in Slack stay within Block Kit's limits and say what matters."""

from __future__ import annotations

import json

from bot.blocks.roster_import import (
    CONFIRM_IMPORT,
    import_preview,
    import_progress,
    import_summary,
)
from bot.service import ImportProgress, ImportReport
from retrieval.roster.load import LoadReport, RejectedRow
from retrieval.store.index import UpsertReport
from tests.support.block_kit_limits import block_problems


def _report(
    rejected: int, reason: str = "followers must be a number like 12300 or 12.3k"
) -> LoadReport:
    return LoadReport(
        format="csv",
        rejected=[
            RejectedRow(row=row + 2, field="followers", value="lots", reason=reason)
            for row in range(rejected)
        ],
        duplicates=[],
        thin=[],
        total_rows=rejected + 40,
    )


def test_a_preview_with_many_long_rejections_lists_ten_and_counts_the_rest() -> None:
    message = import_preview("x" * 500 + ".csv", _report(5000, "<b>" * 2000), 40, "F0123")
    assert block_problems(message.blocks) == []
    text = json.dumps(message.blocks, ensure_ascii=False)
    assert "5,040 rows read · 40 creators to import · 5,000 rejected" in text
    assert text.count("• Row ") == 10
    assert "… and 4,990 more" in text
    assert "<b>" not in text, "user text is escaped"


def test_the_confirm_button_carries_the_file_and_is_left_out_when_nothing_can_be_imported() -> None:
    importable = import_preview("roster.csv", _report(1), 40, "F0123")
    buttons = [
        element
        for block in importable.blocks
        if block["type"] == "actions"
        for element in block["elements"]
    ]
    assert [(b["action_id"], b["value"]) for b in buttons] == [(CONFIRM_IMPORT, "F0123")]
    nothing = import_preview("roster.csv", _report(3), 0, "F0123")
    assert all(block["type"] != "actions" for block in nothing.blocks)
    assert "nothing to confirm" in json.dumps(nothing.blocks)


def test_progress_says_how_far_how_fast_and_how_long_is_left() -> None:
    step = ImportProgress(rows=450_000, creators=450_000, done=45_000, embedded=44_000, elapsed=900)
    message = import_progress(step)
    assert message.text == (
        "Importing: 45,000 of 450,000 creators · 44,000 bios embedded · 50/s · about 2.2 h left"
    )
    assert block_problems(message.blocks) == []
    assert "left" not in import_progress(ImportProgress.starting()).text


def test_the_summary_counts_what_changed() -> None:
    upsert = UpsertReport(added=["tiktok:a", "tiktok:b"], updated=[], unchanged=["x:c"], embedded=2)
    report = ImportReport(source="roster.csv", load=_report(1), upsert=upsert)
    message = import_summary(report)
    assert message.text == "Imported: 2 added · 0 updated · 1 unchanged · 1 rejected"
    assert block_problems(message.blocks) == []
