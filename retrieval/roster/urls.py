"""Profile links in a roster's handle column: ``https://www.instagram.com/JaneCooks/`` is the
account ``janecooks`` on ``instagram``. Links of ten platforms are read; any other link, or a
link to a post instead of a profile, is refused with a message saying what to write."""

from __future__ import annotations

import re
from typing import NamedTuple
from urllib.parse import parse_qs, unquote, urlsplit

#: A web address with its scheme, or a host and a path (``instagram.com/jane``).
_LINK = re.compile(r"(?P<scheme>https?://)?(?P<host>[\w-]+(?:\.[\w-]+)+)(?:[/?]\S*)?", re.I)

#: Host (without ``www.`` and the like) -> platform, matched on the host's last labels.
_PLATFORM_HOSTS = {
    "instagram.com": "instagram",
    "instagr.am": "instagram",
    "tiktok.com": "tiktok",
    "youtube.com": "youtube",
    "youtu.be": "youtube",
    "x.com": "twitter",
    "twitter.com": "twitter",
    "twitch.tv": "twitch",
    "facebook.com": "facebook",
    "fb.com": "facebook",
    "threads.net": "threads",
    "threads.com": "threads",
    "pinterest.com": "pinterest",
    "linkedin.com": "linkedin",
    "snapchat.com": "snapchat",
}
_PINTEREST_COUNTRY_HOST = re.compile(r"(?:[\w-]+\.)*pinterest(?:\.[a-z]{2,3}){1,2}")

#: Path segments that, on a platform, lead to something other than a profile.
_NOT_PROFILES = {
    "instagram": {"p", "reel", "reels", "stories", "explore", "tv", "accounts"},
    "tiktok": {"video", "tag", "discover", "music", "t"},
    "youtube": {"watch", "shorts", "playlist", "results", "embed", "feed"},
    "twitter": {"i", "search", "hashtag", "home", "intent"},
    "facebook": {"groups", "events", "watch", "photo", "photos", "story.php", "sharer"},
    "pinterest": {"pin", "search", "ideas"},
}
#: Prefix segments before the account name (``/in/jane`` on LinkedIn, ``/c/jane`` on YouTube).
_PREFIXES = {
    "youtube": {"c", "user", "channel"},
    "linkedin": {"in", "company", "school"},
    "snapchat": {"add"},
}
#: Every name we read for a platform (in a roster's platform column, a brief, a filter), each
#: to our spelling: ``X`` and ``Twitter`` are ``twitter``, ``IG`` is ``instagram``.
PLATFORM_ALIASES = {
    "tiktok": "tiktok",
    "tik tok": "tiktok",
    "tt": "tiktok",
    "instagram": "instagram",
    "insta": "instagram",
    "ig": "instagram",
    "youtube": "youtube",
    "yt": "youtube",
    "twitch": "twitch",
    "facebook": "facebook",
    "fb": "facebook",
    "threads": "threads",
    "pinterest": "pinterest",
    "snapchat": "snapchat",
    "linkedin": "linkedin",
    "twitter": "twitter",
    "x": "twitter",
    "x/twitter": "twitter",
    "twitter/x": "twitter",
}


class ProfileLink(NamedTuple):
    platform: str
    handle: str


def platform_name(text: str) -> str:
    """A platform as written in a roster or a brief (``X``, ``IG``, ``Tik Tok``) in our
    spelling; a platform we have no other name for, lower case."""
    folded = " ".join(text.casefold().split())
    return PLATFORM_ALIASES.get(folded, folded)


def profile_link(text: str) -> ProfileLink | None:
    """The platform and account of a profile link; ``None`` for text that is no link (a handle
    with dots like ``www.melaniee.ch`` is one: without ``https://`` only the ten platforms'
    hosts make a link); ``ValueError`` (a message for the user) for a link to another site or
    to a post, video or search page."""
    link = text.strip()
    written = _LINK.fullmatch(link)
    if written is None:
        return None
    parts = urlsplit(link if written["scheme"] else f"https://{link}")
    host = (parts.hostname or "").lower()
    platform = _platform_of(host)
    if platform is None and not written["scheme"]:
        return None
    if platform is None:
        raise ValueError(
            f"handle is a link to {host or 'a web page'}, not to a profile on Instagram, TikTok, "
            "YouTube, X, Twitch, Facebook, Threads, Pinterest, LinkedIn or Snapchat; write the "
            "account name like janecooks"
        )
    segments = [unquote(segment) for segment in parts.path.split("/") if segment]
    if platform == "facebook" and segments[:1] == ["profile.php"]:
        segments = parse_qs(parts.query).get("id", [])
    if segments and segments[0].lower() in _PREFIXES.get(platform, set()):
        segments = segments[1:]
    if not segments or segments[0].lower() in _NOT_PROFILES.get(platform, set()):
        raise ValueError(
            f"handle links to a {platform} page that is not a profile ({link}); give the "
            "profile's link or the account name"
        )
    return ProfileLink(platform, segments[0].lstrip("@"))


def _platform_of(host: str) -> str | None:
    for suffix in (host, *(host.split(".", depth)[-1] for depth in (1, 2))):
        if suffix in _PLATFORM_HOSTS:
            return _PLATFORM_HOSTS[suffix]
    return "pinterest" if _PINTEREST_COUNTRY_HOST.fullmatch(host) else None
