"""Roster import in Slack: the preview with its confirm button, the progress and the summary."""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.blocks.kit import (
    SlackMessage,
    actions,
    button,
    context,
    escape,
    header,
    section,
    truncate_mrkdwn,
)

if TYPE_CHECKING:
    from bot.service import ImportProgress, ImportReport
    from retrieval.roster.load import LoadReport

CONFIRM_IMPORT = "storyfit_confirm_import"
#: Rejected and repeated rows listed in a preview; the rest are counted.
LISTED_ROWS = 10
#: Characters of a rejected row's reason shown (escaped); ten rows fit one section.
REASON_CHARS = 220


def import_preview(file_name: str, report: LoadReport, creators: int, file_id: str) -> SlackMessage:
    """What ``file_name`` holds, before anything is written, with a "Confirm import" button."""
    summary = (
        f"{report.total_rows:,} rows read · {creators:,} creators to import · "
        f"{report.rejected_count:,} rejected · {report.duplicate_count:,} repeated"
    )
    blocks = [
        header(f"Roster preview: {file_name}"),
        section(f"*{escape(summary)}*\nFormat: {escape(report.format.upper())}, UTF-8."),
    ]
    rejected = _rejected_lines(report)
    if rejected:
        blocks.append(section("*Rejected rows* (fix them and send the file again):\n" + rejected))
    if creators:
        blocks.append(
            actions(button("Confirm import", CONFIRM_IMPORT, value=file_id, style="primary"))
        )
        note = "Nothing is written until you confirm; valid rows are imported, bad rows skipped."
    else:
        note = "No row can be imported, so there is nothing to confirm."
    blocks.append(context(escape(note)))
    return SlackMessage(f"Roster preview of {file_name}: {summary}", blocks)


def _rejected_lines(report: LoadReport) -> str:
    lines = [
        f"• Row {rejected.row}"
        + (f", {escape(rejected.field)}" if rejected.field else "")
        + f": {truncate_mrkdwn(escape(rejected.reason), REASON_CHARS)}"
        for rejected in report.rejected[:LISTED_ROWS]
    ]
    more = report.rejected_count - len({rejected.row for rejected in report.rejected[:LISTED_ROWS]})
    if more > 0:
        lines.append(f"… and {more:,} more")
    return "\n".join(lines)


def import_progress(progress: ImportProgress) -> SlackMessage:
    """One line that is updated while an import runs."""
    left = progress.remaining_seconds
    eta = f" · about {_duration(left)} left" if left is not None else ""
    text = (
        f"Importing: {progress.done:,} of {progress.creators:,} creators · "
        f"{progress.embedded:,} bios embedded · {progress.rate:,.0f}/s{eta}"
    )
    return SlackMessage(text, [section(f":hourglass_flowing_sand: {escape(text)}")])


def import_summary(report: ImportReport) -> SlackMessage:
    """What an import did, once it is complete."""
    upsert, load = report.upsert, report.load
    text = (
        f"Imported: {upsert.added_count:,} added · {upsert.updated_count:,} updated · "
        f"{upsert.unchanged_count:,} unchanged · {load.rejected_count:,} rejected"
    )
    notes = [f"{upsert.embedded:,} bios embedded."]
    if load.thin_count:
        notes.append(
            f"{load.thin_count:,} creators have an empty or contact-only bio: kept, "
            "but never picked on their bio."
        )
    return SlackMessage(
        text, [section(f":white_check_mark: *{escape(text)}*"), context(escape(" ".join(notes)))]
    )


def _duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    if minutes < 1:
        return "a minute"
    if minutes < 90:
        return f"{minutes} min"
    return f"{minutes / 60:.1f} h"
