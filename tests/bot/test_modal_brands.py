"""The New brief form's "Include brand accounts" checkbox becomes ``include_brands``."""

from __future__ import annotations

from typing import Any

from bot.blocks import modal
from bot.listeners.views import read_submission
from tests.support.block_kit_limits import view_problems


def submitted(brands: dict[str, Any]) -> dict[str, Any]:
    values = {
        modal.STORY_INPUT: {"type": "plain_text_input", "value": "Serums for sensitive skin"},
        modal.CHANNEL_INPUT: {"type": "conversations_select", "selected_conversation": "C01"},
        modal.BRANDS_INPUT: brands,
    }
    return {"state": {"values": {key: {key: value} for key, value in values.items()}}}


def test_the_form_offers_the_checkbox_within_view_limits() -> None:
    view = modal.brief_modal()
    assert view_problems(view) == []
    (block,) = [b for b in view["blocks"] if b.get("block_id") == modal.BRANDS_INPUT]
    assert block["optional"] and block["element"]["type"] == "checkboxes"


def test_ticked_asks_for_brand_accounts_and_unticked_does_not() -> None:
    option = {"text": {"type": "plain_text", "text": "x"}, "value": modal.INCLUDE_BRANDS}
    ticked = read_submission(submitted({"type": "checkboxes", "selected_options": [option]}))
    assert ticked.request is not None and ticked.request.include_brands
    unticked = read_submission(submitted({"type": "checkboxes", "selected_options": []}))
    assert unticked.request is not None and not unticked.request.include_brands
