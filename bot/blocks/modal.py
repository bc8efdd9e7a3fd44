"""The "New brief" modal: story, objective, counts, filters and the channel to post in."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from bot.blocks import limits
from bot.blocks.kit import (
    BRIEF_MODAL,
    Block,
    plain,
    truncate,
)
from retrieval.contract import OBJECTIVES

if TYPE_CHECKING:
    pass


# block_id / action_id pairs of the brief modal's inputs.
STORY_INPUT = "story"
OBJECTIVE_INPUT = "objective"
MACRO_INPUT = "macro"
MICRO_INPUT = "micro"
PLATFORMS_INPUT = "platforms"
COUNTRIES_INPUT = "countries"
LANGUAGES_INPUT = "languages"
CHANNEL_INPUT = "channel"
BRANDS_INPUT = "brands"
#: The value of the brief modal's "include brand accounts" checkbox.
INCLUDE_BRANDS = "include"

#: Pick counts the modal accepts: the bounds ``RecommendRequest`` enforces.
MAX_MACRO = 20
MAX_MICRO = 50

# ---------------------------------------------------------------------------------------------
# The "New brief" modal.


def _input(
    block_id: str, label: str, element: dict[str, Any], *, optional: bool, hint: str | None = None
) -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(label, limits.MAX_INPUT_LABEL),
        "element": {**element, "action_id": block_id},
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(hint, limits.MAX_INPUT_HINT)
    return block


def _text_input(placeholder: str, initial: str = "", multiline: bool = False) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "plain_text_input",
        "multiline": multiline,
        "max_length": limits.MAX_INPUT_VALUE,
        "placeholder": plain(placeholder, limits.MAX_PLACEHOLDER),
    }
    if initial:
        element["initial_value"] = truncate(initial, limits.MAX_INPUT_VALUE)
    return element


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(text, limits.MAX_OPTION_TEXT), "value": value[: limits.MAX_OPTION_VALUE]}


def _count_input(maximum: int) -> dict[str, Any]:
    return {
        "type": "number_input",
        "is_decimal_allowed": False,
        "min_value": "0",
        "max_value": str(maximum),
    }


def brief_modal(initial_story: str = "") -> dict[str, Any]:
    """The "New brief" modal; its submission arrives with ``callback_id == BRIEF_MODAL``."""
    # Long: one declarative view, read top to bottom as the user sees it; its input builders
    # are the helpers above.
    objectives = [_option(objective.capitalize(), objective) for objective in OBJECTIVES]
    balanced = objectives[OBJECTIVES.index("balanced")]
    blocks = [
        _input(
            STORY_INPUT,
            "Brand story",
            _text_input(
                "Who you are, what you're launching, and who it's for", initial_story, True
            ),
            optional=False,
        ),
        _input(
            OBJECTIVE_INPUT,
            "Objective",
            {"type": "static_select", "options": objectives, "initial_option": balanced},
            optional=False,
            hint="Awareness leans on bigger creators, conversion on micro creators.",
        ),
        _input(
            MACRO_INPUT, "Awareness picks (bigger creators)", _count_input(MAX_MACRO), optional=True
        ),
        _input(
            MICRO_INPUT, "Action picks (micro creators)", _count_input(MAX_MICRO), optional=True
        ),
        _input(
            PLATFORMS_INPUT,
            "Platforms",
            _text_input("instagram, tiktok"),
            optional=True,
            hint="Comma-separated; leave empty for any platform.",
        ),
        _input(
            COUNTRIES_INPUT,
            "Countries",
            _text_input("US, DE"),
            optional=True,
            hint="Two-letter country codes, comma-separated.",
        ),
        _input(
            LANGUAGES_INPUT,
            "Languages",
            _text_input("en, es"),
            optional=True,
            hint="Two-letter language codes, comma-separated.",
        ),
        _input(
            BRANDS_INPUT,
            "Brand accounts",
            {
                "type": "checkboxes",
                "options": [_option("Include brand accounts", INCLUDE_BRANDS)],
            },
            optional=True,
            hint="Accounts of brands, shops and agencies are left out unless this is ticked.",
        ),
        _input(
            CHANNEL_INPUT,
            "Post the result in",
            {
                "type": "conversations_select",
                "default_to_current_conversation": True,
                "filter": {"include": ["public", "private", "im"], "exclude_bot_users": True},
            },
            optional=False,
        ),
    ]
    return {
        "type": "modal",
        "callback_id": BRIEF_MODAL,
        "title": plain("New brief", limits.MAX_VIEW_TITLE),
        "submit": plain("Find creators", limits.MAX_VIEW_BUTTON_TEXT),
        "close": plain("Cancel", limits.MAX_VIEW_BUTTON_TEXT),
        "blocks": blocks[: limits.MAX_BLOCKS_PER_VIEW],
    }
