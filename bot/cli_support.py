"""What every ``storyfit`` command shares: the consoles, the one-line failure, the service."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.markup import escape

from retrieval.errors import StoryfitError
from retrieval.redaction import redact

if TYPE_CHECKING:
    from bot.service import StoryfitService
    from bot.settings import Settings

out = Console()
err = Console(stderr=True)

#: ``--team T`` on every command that reads or writes a roster (design §3).
TeamOption = Annotated[
    str | None,
    typer.Option(
        "--team",
        help="The Slack team id (like T0123ABCD) of the workspace whose roster to use, when the "
        "bot serves several workspaces (default: the single workspace).",
    ),
]


class Context:
    """What every command receives: the settings built once at start-up."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings


def fail(message: str) -> typer.Exit:
    """Print one line (or a few, for several bad settings) on stderr and exit non-zero."""
    err.print(f"[bold red]Error:[/] {escape(redact(message))}", highlight=False, soft_wrap=True)
    return typer.Exit(code=1)


@contextmanager
def service_for(
    ctx: typer.Context, team: str | None = None, *, waits_for_import: bool = False
) -> Iterator[StoryfitService]:
    """The service of one workspace (``team``: its Slack team id, ``--team``; ``None``: the
    single workspace) for one command, with every user-facing error turned into one clear line.
    ``waits_for_import``: wait for an import on the embedded store to hand it over."""
    from bot.service import StoryfitService  # the store and the model: not for `--help`

    context: Context = ctx.obj
    try:
        with StoryfitService(
            context.settings, team_id=team, waits_for_import=waits_for_import
        ) as service:
            yield service
    except StoryfitError as error:
        raise fail(str(error)) from None
    except ValueError as error:
        raise fail(str(error)) from None
