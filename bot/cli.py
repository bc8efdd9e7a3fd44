"""``storyfit``: the terminal entry point. Thin: parse, call the service, render."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Annotated
from zoneinfo import ZoneInfo

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from typer.core import TyperGroup

from bot.cli_creators import creators
from bot.cli_support import Context, TeamOption, err, fail, out, service_for
from retrieval.counts import parse_count
from retrieval.errors import StoryfitError, UpsertInterrupted

if TYPE_CHECKING:
    from bot.service import ImportProgress, ImportReport, ProgressCallback, StoryfitService
    from bot.settings import Settings
    from retrieval.contract import Recommendation, RecommendRequest
    from retrieval.roster.load import LoadReport
    from retrieval.roster.stream import RosterStream

#: The most characters of an unexpected error's message shown on its one line.
UNEXPECTED_MESSAGE_CHARS = 300


class OneLineErrors(TyperGroup):
    """Every command ends in one line on stderr and exit code 1 when it fails: the error's own
    sentence for a ``StoryfitError`` (or a Slack set-up error), a short line naming the failure
    for anything unforeseen. Never a traceback in the terminal."""

    def invoke(self, ctx: typer.Context) -> object:  # type: ignore[override]  # typer's own
        try:
            return super().invoke(ctx)
        except (typer.Exit, typer.Abort, typer.TyperException):
            raise
        except Exception as error:
            raise fail(one_line(error)) from None


def one_line(error: Exception) -> str:
    """What the user is told when ``error`` ends a command."""
    from bot.slack.client import SlackSetupError  # Slack's SDK only once something failed

    if isinstance(error, StoryfitError | SlackSetupError):
        return str(error)
    first_line = (str(error).strip().splitlines() or [""])[0]
    detail = f": {first_line[:UNEXPECTED_MESSAGE_CHARS]}" if first_line else ""
    return (
        f"Storyfit stopped on an unexpected {type(error).__name__}{detail}. Please report this "
        "with the command you ran."
    )


app = typer.Typer(
    name="storyfit",
    cls=OneLineErrors,
    help="Pick influencers by story fit: import a roster, look up tiers, get an explained mix.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.add_typer(creators, name="creators")

SAMPLE_ROSTER = "sample_roster.csv"
#: Brand accounts named in an import report (the rest are counted).
NAMED_BRANDS = 5
#: Exit status after Ctrl-C, as shells report a command ended by SIGINT.
INTERRUPTED = 130
DEMO_BRIEF = (
    "We're a small coffee roastery that pays growers fairly. We want people who make the "
    "morning brew a ritual, from the first grind to the last sip."
)


@app.callback()
def main_options(
    ctx: typer.Context,
    data_dir: Annotated[
        Path | None,
        typer.Option(help="Where Storyfit keeps its stores (default: STORYFIT_DATA_DIR)."),
    ] = None,
) -> None:
    from bot.settings import SettingsError, load_settings  # pydantic-settings: not for `--help`

    try:
        settings = load_settings(**({"data_dir": data_dir} if data_dir else {}))
    except SettingsError as error:
        raise fail(str(error)) from None
    ctx.obj = Context(settings)


@contextmanager
def _embedding_progress() -> Iterator[ProgressCallback]:
    with Progress(
        TextColumn("[bold]Importing"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("{task.fields[status]}"),
        TimeRemainingColumn(),
        console=err,
        transient=True,
    ) as bar:
        task = bar.add_task("import", total=None, status="checking the file")

        def advance(step: ImportProgress) -> None:
            status = (
                f"of {step.rows:,} rows read · {step.embedded:,} bios embedded · {step.rate:,.0f}/s"
            )
            bar.update(task, completed=step.done, total=step.creators, status=status)

        yield advance


def _import_with_progress(
    service: StoryfitService, stream: RosterStream, *, reindex: bool = False
) -> ImportReport:
    with _embedding_progress() as advance:
        return service.import_checked(stream, advance, reindex=reindex, share_store=True)


def _print_load_preview(stream: RosterStream) -> None:
    """What a roster file holds and how it is read, before anything is written."""
    load = stream.report
    how = [load.format if load.sheet is None else f"{load.format}, sheet {load.sheet!r}"]
    if load.encoding is not None:
        how.append(f"encoding {load.encoding}")
    out.print(f"Reading {escape(stream.name)} ({escape(', '.join(how))})", highlight=False)
    for choice in load.columns:
        out.print(f"  {escape(str(choice))}", highlight=False)
    out.print(
        f"{load.total_rows:,} row(s): {stream.creator_count:,} creator(s) to import, "
        f"{load.rejected_count:,} rejected, {stream.repeated_count:,} repeated.",
        highlight=False,
    )


def _print_import_report(report: ImportReport) -> None:
    load, upsert = report.load, report.upsert
    table = Table(title=f"Imported {escape(report.source)}", show_header=True)
    for column in ("added", "updated", "unchanged", "rejected"):
        table.add_column(column, justify="right")
    table.add_row(
        str(upsert.added_count),
        str(upsert.updated_count),
        str(upsert.unchanged_count),
        str(load.rejected_count),
    )
    out.print(table)
    if upsert.embedded == 0:
        out.print("Nothing needed re-embedding: every bio was already in the index.")
    else:
        out.print(f"Embedded {upsert.embedded} bio(s).")
    _print_row_findings(load)


def _print_row_findings(load: LoadReport) -> None:
    """Thin bios, repeated rows and every rejected row with its reason."""
    if load.thin_count:
        out.print(
            f"{load.thin_count} creator(s) have an empty or contact-only bio: kept, "
            "but they will not be picked on their bio."
        )
    if load.brand_count:
        named = ", ".join(f"@{escape(handle)}" for handle in load.brands[:NAMED_BRANDS])
        extra = load.brand_count - len(load.brands[:NAMED_BRANDS])
        more = f" and {extra} more" if extra else ""
        out.print(
            f"{load.brand_count} brand, shop or agency account(s) ({named}{more}): kept, but "
            "picked only with --include-brands. To correct one, set its kind column to creator.",
            highlight=False,
        )
    for duplicate in load.duplicates:
        out.print(
            f"Row {duplicate.row}: {escape(duplicate.key)} repeats row {duplicate.kept_row}; "
            f"the later row was kept."
        )
    for rejected in load.rejected:
        field = f", field {escape(rejected.field)}" if rejected.field else ""
        out.print(
            f"[red]Rejected row {rejected.row}{field}:[/] {escape(rejected.reason)}",
            highlight=False,
        )
    for count, what in (
        (load.unlisted_duplicates, "repeated rows"),
        (load.unlisted_rejected, "rejected rows"),
    ):
        if count:
            out.print(f"… and {count:,} more {what} (not listed).")


def _print_tier_summary(service: StoryfitService) -> None:
    counts = service.tier_counts()
    table = Table(title="Roster by tier")
    for column in ("tier", "followers", "role", "creators"):
        table.add_column(column, justify="right" if column == "creators" else "left")
    for tier in service.settings.tiers.tiers:
        table.add_row(
            escape(tier.name), tier.bounds_text(), tier.role, str(counts.get(tier.name, 0))
        )
    table.add_row("[bold]total", "", "", f"[bold]{sum(counts.values())}")
    out.print(table)


@app.command()
def ingest(
    ctx: typer.Context,
    path: Annotated[
        Path,
        typer.Argument(
            help="Roster file: CSV or tab-separated text (any common encoding), a JSON array, "
            "JSON Lines, or an .xlsx / .xls / .ods workbook."
        ),
    ],
    map_: Annotated[
        list[str] | None,
        typer.Option(
            "--map",
            help="Read a column as a field: --map username=handle (repeatable); wins over the "
            "columns recognised by name.",
        ),
    ] = None,
    sheet: Annotated[
        str | None,
        typer.Option("--sheet", help="The workbook sheet to read (default: the first)."),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option("--dry-run", help="Show what would be imported; write nothing."),
    ] = False,
    strict: Annotated[
        bool,
        typer.Option("--strict", help="Import nothing (exit 1) if any row is rejected."),
    ] = False,
    reindex: Annotated[
        bool,
        typer.Option(
            "--reindex",
            help="Rebuild the index from this file with the configured embedder "
            "(creators not in the file are dropped).",
        ),
    ] = False,
    team: TeamOption = None,
) -> None:
    """Import or update a roster; shows how its columns are read, then what changed and every
    rejected row."""
    if not path.is_file():
        raise fail(f"{path} is not a file. Give the path of a roster file (CSV, JSON, .xlsx...).")
    from retrieval.roster.load import parse_column_mapping

    try:
        mapping = parse_column_mapping(map_ or [])
    except ValueError as error:
        raise fail(str(error)) from None
    try:
        with service_for(ctx, team) as service:
            report = _checked_import(
                service, path, mapping, sheet, dry_run=dry_run, strict=strict, reindex=reindex
            )
    except UpsertInterrupted as stopped:
        err.print(
            f"Stopped: kept {stopped.kept:,} of {stopped.total:,} rows; run the same command "
            "again to resume — unchanged rows are skipped.",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(code=INTERRUPTED) from None
    except KeyboardInterrupt:
        after = (
            "until a re-index completes, the old index stays in use"
            if reindex
            else "unchanged rows are skipped"
        )
        err.print(
            f"Stopped: run the same command again to finish; {after}.",
            highlight=False,
            soft_wrap=True,
        )
        raise typer.Exit(code=INTERRUPTED) from None
    if report is not None:
        _print_import_report(report)


def _checked_import(
    service: StoryfitService,
    path: Path,
    mapping: dict[str, str],
    sheet: str | None,
    *,
    dry_run: bool,
    strict: bool,
    reindex: bool,
) -> ImportReport | None:
    """The file checked and previewed, then imported with a progress bar; ``None`` for a dry
    run, which writes nothing."""
    stream = service.read_roster(path, mapping, sheet)
    _print_load_preview(stream)
    if dry_run:
        stream.finish_report()
        _print_row_findings(stream.report)
        out.print("Dry run: nothing was written.")
        return None
    if strict and stream.report.rejected_count:
        _print_row_findings(stream.report)
        raise fail(
            f"--strict: {stream.report.rejected_count:,} row(s) rejected, so nothing was "
            "imported; fix those rows or run without --strict to import the others."
        )
    return _import_with_progress(service, stream, reindex=reindex)


@app.command()
def tier(
    ctx: typer.Context,
    query: Annotated[
        str, typer.Argument(help="A follower count (8500, 12.3k) or a handle (@jane).")
    ],
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
    team: TeamOption = None,
) -> None:
    """Which tier a follower count, or a creator on the roster, falls in."""
    with service_for(ctx, team, waits_for_import=True) as service:
        lookup = service.lookup_tier(query)
    if as_json:
        sys.stdout.write(json.dumps(lookup.contract(), ensure_ascii=False) + "\n")
        return
    upper = "and up" if lookup.max is None else f"to {lookup.max:,}"
    creator = lookup.creator
    who = ""
    if creator is not None:
        brand = ", a brand account" if creator.kind == "brand" else ""
        who = f"@{escape(creator.handle)} ({escape(creator.platform)}{brand}) has "
    out.print(
        f"{who}{lookup.followers:,} followers: [bold]{escape(lookup.tier)}[/] "
        f"({lookup.min:,} {upper}), the {lookup.role} side of a mix."
    )


@app.command()
def demo(ctx: typer.Context) -> None:
    """Load the bundled sample roster and show what was loaded; no accounts or keys needed."""
    from retrieval.contract import RecommendRequest

    sample = resources.files("bot") / "data" / SAMPLE_ROSTER
    with resources.as_file(sample) as path, service_for(ctx) as service:
        out.print(
            "Storyfit demo: importing the bundled sample roster into "
            f"{escape(str(service.settings.data_dir))}"
        )
        report = _import_with_progress(service, service.read_roster(path))
        _print_import_report(report)
        _print_tier_summary(service)
        out.print(f"\n[bold]Example brief:[/] {escape(DEMO_BRIEF)}\n")
        _print_recommendation(service.recommend(RecommendRequest(brief=DEMO_BRIEF)))


def _follower_bound(option: str, value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return parse_count(value)
    except ValueError as error:
        raise fail(f"{option}: {error}") from None


def _request(brief: str, **options: object) -> RecommendRequest:
    """The request, or one line naming the option that is out of range."""
    from pydantic import ValidationError

    from retrieval.contract import RecommendRequest  # pydantic models: not for `--help`

    try:
        return RecommendRequest.model_validate({"brief": brief, **options})
    except ValidationError as error:
        detail = error.errors()[0]
        option = "--" + str(detail["loc"][0]).replace("_", "-")
        raise fail(f"{option}: {detail['msg']}.") from None


def _print_recommendation(recommendation: Recommendation) -> None:
    """Awareness picks, then action picks, each with its reason and quoted evidence; then the
    mix paragraph, any shortfall and the notices."""
    for role, title in (("awareness", "Awareness (macro side)"), ("action", "Action (micro side)")):
        picks = [pick for pick in recommendation.picks if pick.role == role]
        if not picks:
            continue
        out.print(f"[bold underline]{title}[/]")
        for number, pick in enumerate(picks, 1):
            name = f" ({escape(pick.name)})" if pick.name else ""
            name += " · brand account" if pick.kind == "brand" else ""
            out.print(
                f"[bold]{number}. @{escape(pick.handle)}[/]{name}  {escape(pick.platform)} · "
                f"{escape(pick.tier)} · {pick.followers:,} followers · {pick.fit} fit",
                highlight=False,
            )
            out.print(f"   {escape(pick.why)}", highlight=False)
            for quote in pick.evidence:
                out.print(f"   [dim]“{escape(quote)}”[/]", highlight=False)
        out.print()
    out.print(f"[bold]The mix:[/] {escape(recommendation.explanation)}", highlight=False)
    for shortfall in recommendation.shortfall:
        out.print(
            f"[yellow]Shortfall ({shortfall.tier}):[/] {shortfall.found} of "
            f"{shortfall.requested} found; {escape(shortfall.reason)}.",
            highlight=False,
        )
    for unmet in recommendation.unmet:
        carriers = ", ".join(f"@{handle}" for handle in recommendation.carriers(unmet))
        who = f" Carried by {carriers}." if carriers else ""
        out.print(f"[yellow]Unmet:[/] {escape(unmet.reason + who)}", highlight=False)
    for notice in recommendation.notices:
        out.print(f"[cyan]Note:[/] {escape(notice)}", highlight=False)


@app.command()
def recommend(
    ctx: typer.Context,
    brief: Annotated[str, typer.Argument(help="The brand story and the creators you want.")],
    macro: Annotated[
        int | None, typer.Option(help="Awareness-side (macro) creators to pick.")
    ] = None,
    micro: Annotated[int | None, typer.Option(help="Action-side (micro) creators to pick.")] = None,
    objective: Annotated[
        str | None,
        typer.Option(help="awareness, conversion or balanced (default: from the brief)."),
    ] = None,
    platform: Annotated[
        list[str] | None, typer.Option(help="Only this platform (repeatable).")
    ] = None,
    country: Annotated[
        list[str] | None, typer.Option(help="Only this country, ISO code or name (repeatable).")
    ] = None,
    language: Annotated[
        list[str] | None, typer.Option(help="Only this language, ISO code or name (repeatable).")
    ] = None,
    min_followers: Annotated[
        str | None, typer.Option(help="At least this many followers (8500, 12.3k, 1.2M).")
    ] = None,
    max_followers: Annotated[str | None, typer.Option(help="At most this many followers.")] = None,
    exclude: Annotated[
        list[str] | None, typer.Option(help="Never pick this handle (repeatable).")
    ] = None,
    include_brands: Annotated[
        bool,
        typer.Option(
            "--include-brands", help="Also consider accounts of brands, shops and agencies."
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the answer as JSON.")] = False,
    team: TeamOption = None,
) -> None:
    """An explained mix of creators for a brand story: awareness picks, then action picks."""
    from retrieval.contract import OBJECTIVES

    if objective is not None and objective.strip().lower() not in OBJECTIVES:
        raise fail(f"--objective {objective!r}: use {', '.join(OBJECTIVES)}.")
    request = _request(
        brief,
        objective=objective.strip().lower() if objective else None,
        macro=macro,
        micro=micro,
        platform=platform or [],
        country=country or [],
        language=language or [],
        min_followers=_follower_bound("--min-followers", min_followers),
        max_followers=_follower_bound("--max-followers", max_followers),
        exclude=exclude or [],
        include_brands=include_brands,
    )
    with service_for(ctx, team, waits_for_import=True) as service:
        recommendation = service.recommend(request)
    if as_json:
        payload = recommendation.model_dump(mode="json")
        sys.stdout.write(json.dumps(payload, ensure_ascii=False) + "\n")
        return
    _print_recommendation(recommendation)


@app.command()
def serve(
    ctx: typer.Context,
    port: Annotated[int, typer.Option(help="Port for Slack's requests and /healthz.")] = 3000,
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "0.0.0.0",
) -> None:
    """Run the Slack bot: Socket Mode when SLACK_APP_TOKEN is set, else HTTP on /slack/events."""
    from bot.server import serve as run_server
    from bot.slack.client import SlackSetupError

    context: Context = ctx.obj
    try:
        run_server(context.settings, host=host, port=port)
    except (SlackSetupError, StoryfitError, ValueError) as error:
        raise fail(str(error)) from None


def _digest_time(text: str | None, settings: Settings) -> datetime:
    """``--at``: an ISO time; one without a zone is read in STORYFIT_TIMEZONE."""
    if text is None:
        return datetime.now(UTC)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise fail(f"--at {text!r} is not an ISO time like 2026-03-02T09:00") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=ZoneInfo(settings.timezone))


@app.command()
def digest(
    ctx: typer.Context,
    channel: Annotated[
        str | None, typer.Option(help="Slack channel ID (default with --print: every channel).")
    ] = None,
    print_: Annotated[
        bool, typer.Option("--print", help="Print the digest here instead of posting it.")
    ] = False,
    send_due: Annotated[
        bool,
        typer.Option(
            "--send-due",
            help="Post every subscribed channel's due digest, once per period (for cron).",
        ),
    ] = False,
    at: Annotated[
        str | None, typer.Option(help="Act as if it were this ISO time (default: now).")
    ] = None,
    team: TeamOption = None,
) -> None:
    """Post the last seven days' digest to --channel, or --print it; or --send-due for cron."""
    from slack_sdk.errors import SlackApiError

    from bot.digest.delivery import post_digest, recent_digest, send_due_digests
    from bot.digest.text import render_digest_text
    from bot.slack.client import SlackSetupError, unreachable
    from bot.slack.installations import digest_clients

    context: Context = ctx.obj
    now = _digest_time(at, context.settings)
    if send_due and (channel or print_):
        raise fail("--send-due posts every due digest on its own; drop --channel and --print.")
    if not (send_due or print_ or channel):
        raise fail("Give --channel ID to post the digest there, --print to show it, or --send-due.")
    with service_for(ctx, team) as service:
        try:
            client_for = digest_clients(context.settings, service.history.engine)
            if send_due:
                results = send_due_digests(
                    service, now, client_factory=lambda _: client_for(service.team_id)
                )
                for result in results:
                    console = out if result.status == "posted" else err
                    console.print(escape(result.describe()), highlight=False, soft_wrap=True)
                if not results:
                    out.print("No digest was due.")
                if any(result.status != "posted" for result in results):
                    raise typer.Exit(code=1)
            elif print_:
                sys.stdout.write(render_digest_text(recent_digest(service, channel, now)))
            else:
                assert channel is not None
                digest = recent_digest(service, channel, now)
                posted = post_digest(client_for(service.team_id), channel, digest)
                note = f" ({posted.chart_error})" if posted.chart_error else ""
                out.print(
                    escape(f"Posted the digest to {channel} (ts {posted.ts}){note}."),
                    highlight=False,
                )
        except SlackSetupError as error:
            raise fail(str(error)) from None
        except OSError as error:  # urllib's URLError included: the network, not Slack, failed
            raise fail(str(unreachable(context.settings, error))) from None
        except SlackApiError as error:
            code = error.response.get("error", "unknown_error")
            raise fail(f"Slack refused the digest for {channel}: {code}.") from None


def main() -> None:
    app()
