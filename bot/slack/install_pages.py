"""The pages a person sees at the end of installing Storyfit: what happened and what to do next.

Bolt calls ``installed`` or ``not_installed`` when Slack sends the installer back to
``/slack/oauth_redirect``. Both pages are plain HTML in everyday words (never an error code alone,
never a trace) and clear the install cookie.
"""

from __future__ import annotations

import html
import logging

from slack_bolt.oauth.callback_options import FailureArgs, SuccessArgs
from slack_bolt.response import BoltResponse

logger = logging.getLogger(__name__)

#: Why an installation did not finish, by the reason Bolt (or Slack's ``error``) gives:
#: a title and what to do about it.
FAILURES = {
    "access_denied": (
        "Installation cancelled",
        "Storyfit was not added to your workspace: the installation was cancelled in Slack. "
        "Nothing has changed.",
    ),
    "invalid_browser": (
        "Please finish in the browser where you started",
        "For your workspace's safety, an installation must finish in the same browser it "
        "started in, with cookies allowed. Nothing was installed.",
    ),
    "invalid_state": (
        "This install link has expired",
        "An install link works once, for 10 minutes. Nothing was installed: start again to get "
        "a fresh link.",
    ),
    "missing_code": (
        "Slack did not confirm the installation",
        "Nothing was installed. If this happens again, ask whoever runs Storyfit to check its "
        "SLACK_CLIENT_ID and SLACK_CLIENT_SECRET.",
    ),
    "storage_error": (
        "Storyfit could not save the installation",
        "Slack approved it, but Storyfit's database could not be reached, so nothing was "
        "installed. Please try again in a few minutes; if it keeps happening, tell whoever runs "
        "Storyfit.",
    ),
}
FAILURES["invalid_code"] = FAILURES["missing_code"]
OTHER_FAILURE = (
    "Storyfit was not installed",
    "Slack ended the installation ({reason}). Nothing was installed.",
)


def page(title: str, paragraphs: list[str]) -> str:
    """A small self-contained HTML page; ``paragraphs`` are HTML already escaped."""
    body = "\n".join(f"<p>{paragraph}</p>" for paragraph in paragraphs)
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)} · Storyfit</title>
<style>body {{ font-family: system-ui, sans-serif; max-width: 36rem; margin: 3rem auto;
padding: 0 1rem; line-height: 1.5; color: #2b3a42; }}</style>
</head>
<body>
<h1>{html.escape(title)}</h1>
{body}
</body>
</html>
"""


def _response(status: int, content: str, clear_cookie: str) -> BoltResponse:
    return BoltResponse(
        status=status,
        body=content,
        headers={"Content-Type": "text/html; charset=utf-8", "Set-Cookie": clear_cookie},
    )


def install_page(authorize_url: str) -> str:
    """``/slack/install``: what Storyfit does and will be allowed to do, and the button to Slack."""
    return page(
        "Add Storyfit to Slack",
        [
            "Storyfit finds creators whose own bios fit your brand story and answers in Slack "
            "with an explained mix of bigger and micro creators.",
            "Slack will ask you to allow it to read messages that mention it or are sent to it "
            "directly, post its answers, read roster files you send it, and look up who your "
            "workspace admins are. Each workspace gets its own roster; no other workspace can "
            "see it.",
            f'<a href="{html.escape(authorize_url)}"><strong>Add to Slack</strong></a>',
        ],
    )


def installed(args: SuccessArgs) -> BoltResponse:
    """Storyfit is in the workspace: how to open it and start."""
    installation = args.installation
    team = html.escape(installation.team_name or "your workspace")
    team_id = html.escape(installation.team_id or "")
    logger.info("Installed in workspace %s", installation.team_id)
    content = page(
        "Storyfit is installed",
        [
            f"Storyfit is now part of <strong>{team}</strong>.",
            "Next: invite it to a channel with <code>/invite @Storyfit</code>, then mention it "
            "with your brand story, or send it your creator roster (a CSV or Excel file) in a "
            "direct message.",
            f'<a href="https://app.slack.com/client/{team_id}">Open Slack</a>',
        ],
    )
    return _response(200, content, args.settings.state_utils.build_set_cookie_for_deletion())


def not_installed(args: FailureArgs) -> BoltResponse:
    """The installation did not finish: why, in plain words, and a link to start again."""
    title, explanation = FAILURES.get(args.reason, OTHER_FAILURE)
    if args.error is not None:
        logger.warning(
            "Installation failed (%s): %s: %s", args.reason, type(args.error).__name__, args.error
        )
    else:
        logger.info("Installation failed: %s", args.reason)
    again = html.escape(args.settings.install_path)
    content = page(
        title,
        [
            html.escape(explanation.format(reason=args.reason)),
            f'<a href="{again}">Start the installation again</a>',
        ],
    )
    status = args.suggested_status_code
    return _response(status, content, args.settings.state_utils.build_set_cookie_for_deletion())
