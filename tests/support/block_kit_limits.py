"""Slack's Block Kit limits as a checker, written from Slack's reference independently of
``bot.blocks.limits`` so that a wrong constant there is caught here.

Used by the builder unit tests and by the mock Slack server, which refuses a payload breaking them
with ``invalid_blocks`` as Slack does.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100


def _text_problems(where: str, text: Any, limit: int) -> Iterator[str]:
    if not isinstance(text, dict) or text.get("type") not in ("plain_text", "mrkdwn"):
        yield f"{where}: not a text object"
        return
    value = text.get("text")
    if not isinstance(value, str) or not value:
        yield f"{where}: empty text"
    elif len(value) > limit:
        yield f"{where}: {len(value)} characters > {limit}"


def _element_problems(where: str, element: dict[str, Any]) -> Iterator[str]:
    if len(str(element.get("action_id", ""))) > 255:
        yield f"{where}: action_id > 255"
    kind = element.get("type")
    if kind == "button":
        yield from _text_problems(f"{where}.text", element.get("text"), 75)
        if len(str(element.get("value", ""))) > 2000:
            yield f"{where}: button value > 2000"
    if "placeholder" in element:
        yield from _text_problems(f"{where}.placeholder", element["placeholder"], 150)
    if len(str(element.get("initial_value", ""))) > 3000:
        yield f"{where}: initial_value > 3000"
    if int(element.get("max_length", 0)) > 3000:
        yield f"{where}: max_length > 3000"
    options = element.get("options", [])
    if len(options) > 100:
        yield f"{where}: {len(options)} options > 100"
    for number, option in enumerate(options):
        yield from _text_problems(f"{where}.options[{number}]", option.get("text"), 75)
        if len(str(option.get("value", ""))) > 150:
            yield f"{where}.options[{number}]: value > 150"


def _block_problems(where: str, block: dict[str, Any]) -> Iterator[str]:
    kind = block.get("type")
    if len(str(block.get("block_id", ""))) > 255:
        yield f"{where}: block_id > 255"
    if kind == "header":
        yield from _text_problems(f"{where}.text", block.get("text"), 150)
    elif kind == "section":
        if "text" not in block and "fields" not in block:
            yield f"{where}: section without text or fields"
        if "text" in block:
            yield from _text_problems(f"{where}.text", block["text"], 3000)
        fields = block.get("fields", [])
        if len(fields) > 10:
            yield f"{where}: {len(fields)} fields > 10"
        for number, field in enumerate(fields):
            yield from _text_problems(f"{where}.fields[{number}]", field, 2000)
    elif kind == "context":
        elements = block.get("elements", [])
        if not 1 <= len(elements) <= 10:
            yield f"{where}: {len(elements)} context elements (1 to 10)"
        for number, element in enumerate(elements):
            yield from _text_problems(f"{where}.elements[{number}]", element, 3000)
    elif kind == "actions":
        elements = block.get("elements", [])
        if not 1 <= len(elements) <= 25:
            yield f"{where}: {len(elements)} actions elements (1 to 25)"
        ids = [element.get("action_id") for element in elements if element.get("action_id")]
        if len(ids) != len(set(ids)):
            yield f"{where}: repeated action_id in one block"
        for number, element in enumerate(elements):
            yield from _element_problems(f"{where}.elements[{number}]", element)
    elif kind == "input":
        yield from _text_problems(f"{where}.label", block.get("label"), 2000)
        if "hint" in block:
            yield from _text_problems(f"{where}.hint", block["hint"], 2000)
        yield from _element_problems(f"{where}.element", block.get("element", {}))
    elif kind != "divider":
        yield f"{where}: unexpected block type {kind!r}"


def block_problems(blocks: Iterable[dict[str, Any]], max_blocks: int = MESSAGE_BLOCKS) -> list[str]:
    """Every way ``blocks`` breaks a Block Kit limit; empty when Slack would accept them."""
    blocks = list(blocks)
    problems = [f"{len(blocks)} blocks > {max_blocks}"] if len(blocks) > max_blocks else []
    block_ids = [block["block_id"] for block in blocks if "block_id" in block]
    if len(block_ids) != len(set(block_ids)):
        problems.append("repeated block_id")
    for number, block in enumerate(blocks):
        problems.extend(_block_problems(f"blocks[{number}]", block))
    return problems


def view_problems(view: dict[str, Any]) -> list[str]:
    """Every way a modal or App Home view breaks a limit."""
    problems = block_problems(view.get("blocks", []), VIEW_BLOCKS)
    for key in ("title", "submit", "close"):
        if key in view:
            problems.extend(_text_problems(f"view.{key}", view[key], 24))
    if view.get("type") == "modal" and "title" not in view:
        problems.append("modal without a title")
    if len(str(view.get("callback_id", ""))) > 255:
        problems.append("callback_id > 255")
    if len(str(view.get("private_metadata", ""))) > 3000:
        problems.append("private_metadata > 3000")
    return problems
