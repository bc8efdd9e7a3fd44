"""A roster account's ``kind``: a person who creates (``creator``) or a brand, shop or agency's
own account (``brand``), read from a ``kind`` column or recognised from the bio and name.

Recognition adds up independent signals (a shop's calls to action, shipping and customer-service
lines, "we are a ... brand", "official store", registered marks, company suffixes...) in English,
Spanish, German, French, Portuguese and Italian, and calls an account a brand only when they reach
``BRAND_SCORE``: one phrase ("shop my links", "managed by an agency") is not enough. Every pattern
is a flat alternation (no nested quantifiers) run over at most ``KIND_CHECKED_BIO_CHARS`` of the
bio, so a check costs the same for a bio of any length.
"""

from __future__ import annotations

import re
from typing import Literal

CreatorKind = Literal["creator", "brand"]

#: Only the start of a bio is read: brands say what they are up front.
KIND_CHECKED_BIO_CHARS = 2_000
#: Signal points an account needs to be recognised as a brand.
BRAND_SCORE = 2

_KIND_WORDS: dict[str, CreatorKind] = {
    **dict.fromkeys(("creator", "person", "influencer", "individual", "talent"), "creator"),
    **dict.fromkeys(
        (
            "brand",
            "shop",
            "store",
            "business",
            "company",
            "agency",
            "official",
            "retailer",
            "organisation",
            "organization",
        ),
        "brand",
    ),
}


def normalize_kind(value: object) -> CreatorKind | None:
    """``Brand`` / ``shop`` / ``agency`` -> ``brand``; ``Influencer`` -> ``creator``; empty ->
    ``None`` (not given: recognise it); anything else -> ``ValueError`` saying what to write."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValueError("kind must be text: creator or brand")
    text = value.strip().casefold()
    if not text:
        return None
    kind = _KIND_WORDS.get(text)
    if kind is None:
        shown = value.strip()[:40]
        raise ValueError(
            f"kind {shown!r} is neither creator nor brand; write creator (a person: also "
            "influencer) or brand (also shop, store, business, company, agency, official), "
            "or leave it empty to have it recognised from the bio"
        )
    return kind


def _words(*alternatives: str) -> str:
    return r"\b(?:" + "|".join(alternatives) + r")\b"


#: Two points each: said only by a business about itself.
_STRONG = re.compile(
    _words(
        r"official (?:store|shop|online store|brand account|retailer)",
        r"tienda oficial",
        r"offizielle[rn]? (?:shop|store|onlineshop)",
        r"boutique officielle",
        r"loja oficial",
        r"negozio ufficiale|store ufficiale|shop ufficiale",
    ),
    re.IGNORECASE,
)

#: "We are a ... brand": a first-person plural self-description; the business noun must come
#: within ``_SELF_WORDS`` words.
_WE_ARE = re.compile(
    _words(
        r"we are|we're|somos|wir sind|nous sommes|on est|siamo",
    )
    + r"\s",
    re.IGNORECASE,
)
_SELF_WORDS = 5
_CONTACT_WORDS = frozenset(
    [
        "inquiries",
        "enquiries",
        "inquiry",
        "enquiry",
        "email",
        "e-mail",
        "mail",
        "contact",
        "contacto",
        "kontakt",
        "anfragen",
        "only",
    ]
)
_BUSINESS_NOUNS = frozenset(
    [
        "brand",
        "company",
        "business",
        "shop",
        "store",
        "boutique",
        "bakery",
        "agency",
        "studio",
        "startup",
        "label",
        "restaurant",
        "café",
        "cafe",
        "clinic",
        "salon",
        "roastery",
        "roasters",
        "brewery",
        "manufacturer",
        "retailer",
        "marketplace",
        "marca",
        "empresa",
        "tienda",
        "agencia",
        "panadería",
        "negocio",
        "tostadores",
        "cafetería",
        "marke",
        "firma",
        "unternehmen",
        "laden",
        "geschäft",
        "bäckerei",
        "agentur",
        "rösterei",
        "manufaktur",
        "marque",
        "entreprise",
        "agence",
        "société",
        "boulangerie",
        "torréfacteur",
        "loja",
        "agência",
        "padaria",
        "azienda",
        "negozio",
        "agenzia",
        "marchio",
        "pasticceria",
        "panificio",
    ]
)

#: One point each: what shops, brands and agencies write, but a creator may write once.
_SIGNALS = tuple(
    re.compile(pattern, re.IGNORECASE)
    for pattern in (
        # an account that says it is the official one of something
        _words(
            r"official (?:account|page|profile|channel) of",
            r"cuenta oficial",
            r"offizielle[rn]? (?:account|seite|kanal|profil)",
            r"compte officiel|page officielle",
            r"conta oficial|perfil oficial|página oficial",
            r"account ufficiale|pagina ufficiale|profilo ufficiale",
        ),
        # calls to buy
        _words(
            r"shop now|order now|buy now|shop the (?:collection|look|range|new)|dm to order",
            r"compra ahora|pide ya|haz tu pedido|compra ya",
            r"jetzt (?:kaufen|shoppen|bestellen|entdecken)",
            r"achetez|commandez|commander en ligne",
            r"compre agora|compre já|peça já|faça (?:seu|o seu) pedido",
            r"acquista ora|ordina ora|acquista (?:online|subito)",
        ),
        # shipping
        _words(
            r"free shipping|free delivery|worldwide shipping|ships worldwide",
            r"we ship (?:worldwide|internationally|nationwide|to)",
            r"env[ií]os? (?:r[aá]pidos? |gratis |gratuitos? )?(?:gratis|a todo|internacionales)",
            r"kostenloser versand|versandkostenfrei|versand (?:weltweit|ab)",
            r"livraison (?:offerte|gratuite|partout|dans)",
            r"frete gr[aá]tis|enviamos para|entregamos em",
            r"spedizione gratuita|spedizioni (?:in tutta|gratuite)|spediamo",
        ),
        # customer service
        _words(
            r"customer (?:service|support|care)",
            r"atenci[oó]n al cliente|servicio al cliente",
            r"kundenservice|kundensupport|kundendienst",
            r"service client(?:s|èle)?",
            r"atendimento ao cliente|sac",
            r"servizio clienti|assistenza clienti",
        ),
        # "our products", "our new collection"
        _words(r"our|nuestr[oa]s?|unser(?:e|en|em|er)?|nos|notre|nossa|nossos?|nostr[aoie]")
        + r"\s"
        + r"(?:new |nuev[oa]s? |neuen? |nouvelles? |nuov[aoie] |nov[oa]s? )?"
        + _words(
            r"products?|store|shop|collection|website|customers|clients|team of|range",
            r"productos|tienda|colecci[oó]n|clientes",
            r"produkte|kollektion|kunden|sortiment",
            r"produits|boutique|site",
            r"produtos|loja|cole[cç][aã]o",
            r"prodotti|negozio|collezione|clienti",
        ),
        # first-person plural business verbs
        _words(
            r"we (?:sell|offer|make|craft|design|produce|roast|bake|deliver|connect brands|"
            r"help brands|work with brands)",
            r"vendemos|ofrecemos|fabricamos|elaboramos|tostamos",
            r"wir (?:verkaufen|bieten|liefern|stellen|fertigen|rösten|backen)",
            r"nous (?:vendons|proposons|fabriquons|créons|accompagnons|livrons)",
            r"oferecemos|produzimos",
            r"vendiamo|offriamo|produciamo|realizziamo|lavoriamo con",
        ),
        # agencies and management companies (not an agency's e-mail domain or link)
        r"(?<![.@/])"
        + _words(
            r"agency|agencia|agentur|agence|ag[eê]ncia|agenzia",
            r"management company|talent management|influencer marketing",
            r"marketing (?:de influencia|d'influence|de influ[eê]ncia)",
        ),
        # a business promoting itself
        _words(
            r"your (?:leading|trusted|number one|#1|no\.? ?1|one-stop|go-to)",
            r"speciali[sz](?:ing|ed|ts?) in|especialistas en|spezialisiert auf",
            r"sp[ée]cialis[ée]e?s? (?:dans|en)|especializad[ao]s? em|specializzat[aoie] in",
        ),
        # tag us to be featured
        _words(
            r"to be featured|tag us|etiqu[eé]tanos|markiere uns|identifiez-nous|marque-nos|"
            r"taggaci",
        ),
        # a founding year
        _words(
            r"est\.? ?\d{4}|established (?:in )?\d{4}|founded in \d{4}|since (?:19|20)\d\d",
            r"desde (?:19|20)\d\d|seit (?:19|20)\d\d|depuis (?:19|20)\d\d|dal (?:19|20)\d\d",
        ),
        # appointments and bookings with a business
        _words(
            r"book (?:your|an) appointment|reserva tu cita|termin (?:buchen|vereinbaren)",
            r"prenez rendez-vous|agende (?:seu|já)|prenota (?:ora|il tuo)",
        ),
        # registered and trade marks
        r"[®™]",
    )
)

#: A name that is a company's: a legal suffix, or a shop's word at its end.
_COMPANY_NAME = re.compile(
    r"(?:\b(?:gmbh|inc|llc|ltd|ltda|srl|s\.?r\.?l|s\.?a|s\.?l|plc|ag|co|corp|oy|ab|bv)\.?$"
    r"|&\s?co\b|\b(?:shop|store|boutique|bakery|official store|agency|studio)$|[®™])",
    re.IGNORECASE,
)


def brand_score(bio: str, name: str | None = None) -> int:
    """The brand signal points of a bio and display name (see the module's description)."""
    text = bio[:KIND_CHECKED_BIO_CHARS]
    points = sum(2 for _ in _STRONG.finditer(text))
    points += sum(1 for signal in _SIGNALS if signal.search(text))
    points += 2 if _says_we_are_a_business(text) else 0
    points += 1 if _opens_as_business(text) else 0
    if name and _COMPANY_NAME.search(name.strip()[:200]):
        points += 1
    return points


def detect_kind(bio: str, name: str | None = None) -> CreatorKind:
    """``brand`` when the bio and name carry enough brand signals, else ``creator``."""
    return "brand" if brand_score(bio, name) >= BRAND_SCORE else "creator"


def _says_we_are_a_business(text: str) -> bool:
    """ "We are a small coffee brand", "Somos una marca...", "Wir sind eine Bäckerei..."."""
    for match in _WE_ARE.finditer(text):
        following = text[match.end() : match.end() + 80].casefold().split()[:_SELF_WORDS]
        if any(word.strip(".,!;:()") in _BUSINESS_NOUNS for word in following):
            return True
    return False


def _opens_as_business(text: str) -> bool:
    """The bio opens with a short phrase naming a business: "Handmade jewellery brand 💍"
    (not a contact label such as "Business inquiries:")."""
    words: list[str] = []
    for token in text[:200].split():
        if not any(char.isalpha() for char in token) or len(words) > _SELF_WORDS:
            break
        words.append(token.casefold().strip(".,;:!?()#|"))
        if token[-1] in ".,;:!?|":
            break
    return (
        0 < len(words) <= _SELF_WORDS
        and any(word in _BUSINESS_NOUNS for word in words[-2:])
        and not _CONTACT_WORDS.intersection(words)
    )
