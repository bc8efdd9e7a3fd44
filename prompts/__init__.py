"""Versioned prompt templates, kept as files beside this module.

A prompt is ``<name>.<version>.md`` with two parts, each introduced by a marker line::

    === system ===
    ...instructions...
    === user ===
    ...data, with ${placeholders}...

Placeholders use ``string.Template`` syntax (``${name}``; a literal dollar is ``$$``). Rendering
fails with ``PromptError`` when a placeholder has no value or a value has no placeholder, so a
prompt and the code that fills it cannot drift apart silently.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from importlib import resources
from string import Template

_PART_MARKER = re.compile(r"^=== (system|user) ===[ \t]*$", re.MULTILINE)
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_VERSION = re.compile(r"^v[0-9]+$")


class PromptError(Exception):
    """A prompt file is missing or malformed, or was rendered with the wrong values."""


@dataclass(frozen=True)
class RenderedPrompt:
    """A prompt with its values filled in: the two chat messages to send."""

    system: str
    user: str


@dataclass(frozen=True)
class Prompt:
    name: str
    version: str
    system: Template
    user: Template

    @property
    def placeholders(self) -> frozenset[str]:
        return frozenset(self.system.get_identifiers()) | frozenset(self.user.get_identifiers())

    def render(self, **values: str) -> RenderedPrompt:
        missing = sorted(self.placeholders - values.keys())
        unexpected = sorted(values.keys() - self.placeholders)
        if missing or unexpected:
            problems = []
            if missing:
                problems.append(f"no value for {', '.join(missing)}")
            if unexpected:
                problems.append(f"no placeholder for {', '.join(unexpected)}")
            raise PromptError(f"prompt {self.name}.{self.version}: {'; '.join(problems)}")
        return RenderedPrompt(
            system=self.system.substitute(values), user=self.user.substitute(values)
        )


@functools.cache
def load_prompt(name: str, version: str) -> Prompt:
    """The prompt ``prompts/<name>.<version>.md``, e.g. ``load_prompt("explain_mix", "v1")``."""
    if not _NAME.match(name) or not _VERSION.match(version):
        raise PromptError(
            f"prompt names look like 'explain_mix' and versions like 'v1', got {name!r} {version!r}"
        )
    filename = f"{name}.{version}.md"
    try:
        text = resources.files(__name__).joinpath(filename).read_text(encoding="utf-8")
    except FileNotFoundError as error:
        raise PromptError(f"no prompt file prompts/{filename}") from error
    parts = _PART_MARKER.split(text)
    # split() keeps the captured part names: [preamble, "system", body, "user", body]
    if len(parts) != 5 or parts[1] != "system" or parts[3] != "user" or parts[0].strip():
        raise PromptError(
            f"prompts/{filename} must be '=== system ===' then '=== user ===', each once"
        )
    system, user = Template(parts[2].strip()), Template(parts[4].strip())
    for part in (system, user):
        if not part.is_valid():
            raise PromptError(f"prompts/{filename} has a malformed placeholder (write $$ for $)")
    return Prompt(name=name, version=version, system=system, user=user)
