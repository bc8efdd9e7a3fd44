"""The ``/tier`` creator card says when the account is a brand's."""

from __future__ import annotations

from bot.blocks.replies import creator_card
from retrieval.roster.creator import Creator


def card_text(creator: Creator) -> str:
    return str(creator_card(creator))


def test_a_brand_account_is_labelled_on_its_card() -> None:
    brand = Creator(handle="glowry", followers=4_000, bio="Serums", kind="brand")
    assert "Brand account: picked only when brand accounts are asked for." in card_text(brand)
    person = brand.model_copy(update={"kind": "creator"})
    assert "Brand account" not in card_text(person)
