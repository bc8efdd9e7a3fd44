"""A creator's ``kind``: from a ``kind`` column (with its synonyms, a bad value rejected with a
clear message), else recognised at import from the bio and name, in several languages, without
calling a creator who mentions a shop a brand."""

from __future__ import annotations

import json

import pytest

from retrieval.roster.creator import Creator
from retrieval.roster.kind import KIND_CHECKED_BIO_CHARS, detect_kind
from retrieval.roster.load import load_roster_text


def loaded(csv_text: str) -> dict[str, str]:
    load = load_roster_text(csv_text.encode(), "roster.csv")
    return {creator.handle: creator.kind for creator in load.creators}


def test_a_kind_column_sets_the_kind_with_its_synonyms() -> None:
    kinds = loaded(
        "handle,followers,kind,bio\n"
        "acme,500,brand,Pottery classes for beginners\n"
        "corner,500,Shop,Pottery classes for beginners\n"
        "ads,500,AGENCY,\n"
        "suits,500,company,\n"
        "ohne,500,official,\n"
        "jane,500,Influencer,Official store of Jane®: shop now! Free shipping worldwide\n"
        "tim,500,person,\n"
        "ann,500,creator,\n"
    )
    assert kinds == {
        "acme": "brand",
        "corner": "brand",
        "ads": "brand",
        "suits": "brand",
        "ohne": "brand",
        "jane": "creator",  # the column wins over what the bio looks like
        "tim": "creator",
        "ann": "creator",
    }


def test_an_empty_kind_cell_is_recognised_from_the_bio() -> None:
    kinds = loaded(
        "handle,followers,kind,bio\n"
        "glowry,500,,Official store of Glowry® skincare. Shop now ⬇️ Free shipping over $50\n"
        "mia,500,,Marathoner and coffee addict. Shop my links below\n"
    )
    assert kinds == {"glowry": "brand", "mia": "creator"}


def test_a_bad_kind_is_a_rejected_cell_naming_row_field_and_what_to_write() -> None:
    load = load_roster_text(b"handle,followers,kind\nrobo,500,robot\nok,600,brand\n", "roster.csv")
    assert [creator.handle for creator in load.creators] == ["ok"]  # the neighbour is kept
    (rejected,) = load.rejected
    assert (rejected.row, rejected.field, rejected.value) == (2, "kind", "robot")
    assert "neither creator nor brand" in rejected.reason
    assert "write creator" in rejected.reason and "brand (also shop" in rejected.reason


def test_a_kind_given_to_the_model_is_normalised_and_a_stored_record_without_it_is_a_creator() -> (
    None
):
    assert Creator(handle="x", followers=1, kind=" Store ").kind == "brand"
    old_record = json.dumps({"handle": "x", "followers": 1, "bio": "Official store, shop now"})
    assert Creator.model_validate_json(old_record).kind == "creator"


def test_a_creators_record_hash_is_the_one_stored_before_kinds_existed() -> None:
    """Re-importing a roster into an old store must not call every creator updated."""
    creator = Creator(handle="jane", followers=10, bio="Home cook")
    before_kinds = creator.model_dump(mode="json", exclude={"kind"})
    assert Creator.model_validate(before_kinds).content_hash() == creator.content_hash()
    brand = creator.model_copy(update={"kind": "brand"})
    assert brand.content_hash() != creator.content_hash()


BRANDS = [
    ("We are a small-batch coffee brand ☕ Order now, we ship worldwide", None),
    ("Official store 👗 New arrivals every Friday. Shop our collection at the link", None),
    ("Tienda oficial 🛍️ Envíos gratis a todo el país. Compra ahora", None),
    ("Somos una marca de cosmética natural. Atención al cliente por DM", None),
    ("Wir sind eine Rösterei aus Hamburg. Kostenloser Versand ab 30€", None),
    ("Offizieller Account von Bergwerk. Jetzt shoppen! Kundenservice: hallo@bergwerk.de", None),
    ("Compte officiel de Lumière® 🌿 Livraison offerte dès 40€", None),
    ("Somos uma marca de cafés especiais ☕ Frete grátis acima de R$100", None),
    ("Account ufficiale 🍝 Spedizione gratuita. Scopri i nostri prodotti", None),
    ("Influencer marketing agency. We connect brands with creators", None),
    ("Handmade candles 🕯️ Shop now", "Wick & Co"),
    ("Smart home devices. Contact our customer support team", "NovaTech™"),
]

CREATORS = [
    ("Home cook & mum of 3 🍝 Shop my links below ⬇️", None),
    ("Marathoner. Code MIA10 for 10% off! Amazon storefront in bio", None),
    ("I make videos about old cameras. Merch store in bio. Business: tom@talent.agency", None),
    ("Comedy skits 😂 managed by @bignorthagency", None),
    ("Ex-retail worker telling customer service horror stories 🙃", None),
    ("We are a couple travelling the world in a van 🚐", None),
    ("Nail art tutorials 💅 shop now open for press-on orders!", None),
    ("Business inquiries: hello@me.com", None),
    ("Recetas fáciles 🍲 Código LUCIA15 en mi tienda favorita", None),
    ("Mama, Lehrerin, Bücherwurm 📚 Kooperationen: hanna@web.de", None),
    ("Maquillage 💄 mes produits préférés dans ma boutique Amazon", None),
    ("Dicas de beleza 💖 parceria: bia@gmail.com | cupom BIA10", None),
    ("Cucina di casa e viaggi 🇮🇹", "Giulia Official"),
    ("Cuenta oficial ✅ cantante y compositor", None),
]


@pytest.mark.parametrize(("bio", "name"), BRANDS)
def test_brand_accounts_are_recognised(bio: str, name: str | None) -> None:
    assert detect_kind(bio, name) == "brand"


@pytest.mark.parametrize(("bio", "name"), CREATORS)
def test_creators_who_mention_shops_links_or_agencies_stay_creators(
    bio: str, name: str | None
) -> None:
    assert detect_kind(bio, name) == "creator"


def test_only_the_start_of_a_long_bio_is_read() -> None:
    signals = "Official store. Shop now! Free shipping worldwide. "
    assert detect_kind(signals + "x " * KIND_CHECKED_BIO_CHARS) == "brand"
    assert detect_kind("x " * KIND_CHECKED_BIO_CHARS + signals) == "creator"
