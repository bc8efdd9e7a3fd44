"""``storyfit creators ...``: list, export and remove creators on the roster."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from bot.cli_support import TeamOption, out, service_for

if TYPE_CHECKING:
    from bot.creators import CreatorListing
    from retrieval.roster.creator import Creator
    from retrieval.store.catalog import CreatorFilter
    from retrieval.tiers import TierScheme

#: Rows the table shows unless ``--limit`` says otherwise: a screenful or two.
DEFAULT_TABLE_ROWS = 50
TABLE_COLUMNS = ("handle", "platform", "name", "followers", "tier", "country", "language")
#: Cells of every column but the name are kept whole up to this width.
MAX_CELL_WIDTH = 32

creators = typer.Typer(
    help="List, export or remove the creators on the roster.", no_args_is_help=True
)


@creators.command("list")
def list_creators(
    ctx: typer.Context,
    tier: Annotated[str | None, typer.Option(help="Only this tier (e.g. micro).")] = None,
    country: Annotated[
        str | None, typer.Option(help="Only this country, ISO code or name.")
    ] = None,
    platform: Annotated[str | None, typer.Option(help="Only this platform.")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print every match as a JSON array (import format).")
    ] = False,
    limit: Annotated[
        int, typer.Option(min=0, help="Rows in the table, most followers first (0: all).")
    ] = DEFAULT_TABLE_ROWS,
    team: TeamOption = None,
) -> None:
    """The creators on the roster, most followers first, with how many there are."""
    with service_for(ctx, team) as service:
        where = service.creator_filter(tier=tier, country=country, platform=platform)
        if as_json:
            _print_json(service.iter_creators(where))
            return
        listing = service.list_creators(where, limit or None)
        _print_listing(listing, where, service.settings.tiers)


def _print_json(found: Iterator[Creator]) -> None:
    """The JSON array on stdout; a reader that stops early (``| head``) ends it quietly."""
    from retrieval.roster.export import write_json

    try:
        write_json(found, sys.stdout, as_lines=False)
        sys.stdout.flush()
    except BrokenPipeError:
        # Python's advice: point stdout at devnull so the flush at exit cannot fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _print_listing(listing: CreatorListing, where: CreatorFilter, tiers: TierScheme) -> None:
    chosen = ", ".join(f"{name} {value}" for name, value in where._asdict().items() if value)
    if listing.total == 0:
        out.print(
            f"No creator matches {escape(chosen)}."
            if chosen
            else "The roster is empty. Import creators first: `storyfit ingest ROSTER`."
        )
        return
    rows = [
        [
            f"@{creator.handle}",
            creator.platform,
            creator.name or "",
            f"{creator.followers:,}",
            tiers.classify(creator.followers).name,
            creator.country or "",
            creator.language or "",
        ]
        for creator in listing.shown
    ]
    table = Table(box=box.SIMPLE_HEAD, show_edge=False, pad_edge=False, collapse_padding=True)
    for number, column in enumerate(TABLE_COLUMNS):
        widest = max(len(column), *(len(row[number]) for row in rows))
        table.add_column(
            column,
            justify="right" if column == "followers" else "left",
            # Only the name wraps: the other cells stay whole however narrow the terminal.
            min_width=None if column == "name" else min(widest, MAX_CELL_WIDTH),
        )
    for row in rows:
        table.add_row(*map(escape, row))
    out.print(table)
    noun = "creator" if listing.total == 1 else "creators"
    matching = f" matching {escape(chosen)}" if chosen else ""
    if listing.hidden:
        out.print(
            f"Showing {len(listing.shown):,} of {listing.total:,} {noun}{matching}; "
            f"{listing.hidden:,} more not shown. See them all with --limit 0, as JSON with "
            "--json, or in a file with `storyfit creators export FILE`.",
            highlight=False,
            soft_wrap=True,
        )
    else:
        out.print(f"{listing.total:,} {noun}{matching}.", highlight=False, soft_wrap=True)


@creators.command("export")
def export(
    ctx: typer.Context,
    path: Annotated[Path, typer.Argument(help="File to write: .csv (default), .json or .jsonl.")],
    force: Annotated[bool, typer.Option("--force", help="Replace the file if it exists.")] = False,
    team: TeamOption = None,
) -> None:
    """Write the roster in the import format; `storyfit ingest FILE` reads it back unchanged."""
    with service_for(ctx, team) as service:
        written = service.export_roster(path, overwrite=force)
    noun = "creator" if written == 1 else "creators"
    out.print(
        f"Exported {written:,} {noun} to {escape(str(path))}.", highlight=False, soft_wrap=True
    )


@creators.command("remove")
def remove(
    ctx: typer.Context,
    handle: Annotated[str, typer.Argument(help="The creator's handle, e.g. @janecooks.")],
    platform: Annotated[
        str | None, typer.Option(help="The creator's platform, when the handle is on several.")
    ] = None,
    team: TeamOption = None,
) -> None:
    """Erase a creator everywhere: the index, the catalog and every stored pick and snapshot
    (of one workspace: another workspace's creator of the same handle stays)."""
    with service_for(ctx, team) as service:
        removal = service.remove_creator(handle, platform)
    out.print(escape(removal.describe()), highlight=False, soft_wrap=True)
