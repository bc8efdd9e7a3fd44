"""Pieces hostile and careless input is made of, shared by the property tests
(``tests/test_hardening_properties.py``) and the fuzz run (``bench/bench_fuzz.py``).

Generators mix these with arbitrary text so that the interesting branches (a count with an
exponent, a brief naming places and bounds, Slack's control sequences, markup) are hit often.
"""

from __future__ import annotations

from retrieval.roster.creator import ROSTER_FIELDS

#: Characters follower counts are written with, and some they are not.
COUNT_CHARACTERS = "0123456789,._ eEkKmMbB-+%"

#: Words and phrases ``read_brief`` reacts to, with numbers, places and platforms.
BRIEF_PIECES = (
    "coffee",
    "sourdough",
    "trail running",
    "under",
    "over",
    "between",
    "and",
    "at least",
    "up to",
    "followers",
    "10k",
    "1.2M",
    "100",
    "1 000",
    "12,300",
    "1e999999",
    "99999999999999999999",
    "macro",
    "micro",
    "3 macro creators",
    "a dozen micro influencers",
    "in",
    "from",
    "Spain",
    "Germany",
    "UK-based",
    "German-speaking",
    "speak French",
    "francophone",
    "on TikTok",
    "Instagram creators",
    "youtubers",
    "ideally",
    "preferably",
    "launching in Brazil",
    "awareness",
    "drive sales",
    "promo codes",
    "language doesn't matter",
    ".",
    ",",
    "\n",
    "-",
    "+",
)

#: Text Slack, rich or our escaping treat specially.
MARKUP = (
    "<!channel>",
    "<!here>",
    "<@U123>",
    "<#C123|general>",
    "&amp;",
    "&",
    "<",
    ">",
    "*bold*",
    "_it_",
    "~x~",
    "`code`",
    "```",
    "[/b]",
    "[/x]",
    "[bold]",
    "\\",
    ":warning:",
    "\u200b",
    "\U0001f600",
    "\x00",
    "\r\n",
)

#: Column names a roster file may carry: ours, our aliases' shapes, markup and odd ones.
COLUMN_NAMES = (*ROSTER_FIELDS, "username", " Handle ", "FOLLOWERS", "extra", "[/b]", "", "é")
