"""Secrets out of every message: the one helper that masks credentials before text is shown.

Database and Chroma URLs may carry a password (``postgresql://user:secret@host/db``) or a token
(``?token=...``), and Slack or OpenAI keys may end up in an error's text; ``redact`` masks them all,
keeping enough (scheme, user, host) to tell which setting is meant.
"""

from __future__ import annotations

import re

MASK = "***"

#: ``scheme://user:password@``: the password goes, the user name stays.
_URL_PASSWORD = re.compile(r"(?P<head>\b[a-z][a-z0-9+.-]{0,30}://[^\s:/@?#'\"]*:)[^\s/'\"]*@", re.I)
#: A query or keyword parameter whose name says it is a secret: ``?token=...``, ``password=...``.
_SECRET_PARAMETER = re.compile(
    r"(?P<head>\b(?:[a-z_]*token|password|passwd|pwd|[a-z_]*secret|api[_-]?key|access[_-]?key)"
    r"\s*[=:]\s*)(?P<value>[^\s&;,'\")]+)",
    re.I,
)
#: Bearer tokens, Slack tokens (``xoxb-...``, ``xapp-...``) and OpenAI-style keys (``sk-...``).
_API_TOKEN = re.compile(r"\b(?:Bearer\s+\S+|(?:xox[a-z]-|xapp-|sk-)[A-Za-z0-9_-]{8,})")


def redact(text: str) -> str:
    """``text`` with every credential it holds replaced by ``***``."""
    text = _URL_PASSWORD.sub(lambda match: f"{match['head']}{MASK}@", text)
    text = _SECRET_PARAMETER.sub(lambda match: f"{match['head']}{MASK}", text)
    return _API_TOKEN.sub(MASK, text)
