"""Text crafted to make the patterns backtrack costs no more than ordinary text (issue 10).

Before the fix a 50,000-character bio took 6 to 21 s in ``is_thin_bio`` (quadratic: four times
that at 100,000) and a 4,000-character brief about 1.4 s in ``read_brief``. The timeouts below
are guards, generous by a factor of more than 5 over what these inputs take now on a loaded
machine (figures: ``python bench/bench_hostile_text.py``); the equivalence check against the
former pattern is exact.
"""

from __future__ import annotations

import contextlib
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrieval.contract import MAX_BRIEF_CHARS, RecommendRequest
from retrieval.engine.brief import read_brief
from retrieval.errors import StoryfitError
from retrieval.roster.creator import is_thin_bio
from retrieval.terms import terms

BIO_CHARS = 100_000
HOSTILE_BIOS = {
    "one long word": "a" * BIO_CHARS,
    "one long word, then @": "a" * BIO_CHARS + "@",
    "hashes": "#" * BIO_CHARS + " instruction",
    "dots and letters": "x." * (BIO_CHARS // 2),
}
# Each unit repeated to the length read_brief reads.
HOSTILE_BRIEF_UNITS = ["100 ", "999 ", "100,", "In Spain, ", "UK-based ", "in ", "1.5 ", "under "]


@pytest.mark.timeout(5)
@pytest.mark.parametrize("bio", HOSTILE_BIOS.values(), ids=HOSTILE_BIOS.keys())
def test_a_long_crafted_bio_is_checked_in_bounded_time(bio: str) -> None:
    assert is_thin_bio(bio)
    assert not is_thin_bio("Weeknight vegetarian dinners, " + bio)


@pytest.mark.timeout(5)
def test_crafted_briefs_at_the_length_limit_are_read_in_bounded_time() -> None:
    for unit in HOSTILE_BRIEF_UNITS * 3:  # about 15 s before the fix
        text = ("coffee " + unit * MAX_BRIEF_CHARS)[:MAX_BRIEF_CHARS]
        # A brief that is all constraints, or a count out of range, is one clear sentence.
        with contextlib.suppress(StoryfitError):
            read_brief(RecommendRequest(brief=text))


def test_a_brief_over_the_limit_is_read_up_to_it_with_a_notice() -> None:
    brief = read_brief(RecommendRequest(brief="Sourdough bakers who love rye. " * 1_000))
    assert len(brief.text) <= MAX_BRIEF_CHARS
    assert any("only the first" in notice for notice in brief.notices)


def test_a_space_grouped_number_run_is_not_read_as_a_follower_bound() -> None:
    """Numbers are at most 15 digits and never start inside another number, which is what keeps
    the bound patterns linear; a run of groups too long to be a count is story text."""
    brief = read_brief(RecommendRequest(brief="Vegan bakers, over 1 000 000 000 000 000 followers"))
    assert brief.filters.min_followers is None and brief.filters.max_followers is None
    brief = read_brief(RecommendRequest(brief="Vegan bakers with 10 000 to 250 000 followers"))
    assert (brief.filters.min_followers, brief.filters.max_followers) == (10_000, 250_000)


_FORMER_CONTACT = re.compile(
    r"(\S+@\S+|https?://\S+|www\.\S+|\b(?:dm|email|e-mail|mail|contact|business|biz|collab|"
    r"inquiries|enquiries|booking|bookings|management|mgmt|link in bio|linktr\.ee\S*)\b)",
    re.I,
)


def _former_is_thin_bio(bio: str) -> bool:
    """Thin as ``is_thin_bio`` defines it, with the former (backtracking) contact pattern."""
    return next(terms(_FORMER_CONTACT.sub(" ", bio)), None) is None


@settings(max_examples=200, deadline=None, database=None)
@given(
    st.lists(
        st.sampled_from(["a", "b.c", "@", "@x", "x@y", "jo@ex.com", "http://x", "www.y", " ", "\n"])
        | st.sampled_from(["dm", "email", "Bakes", "bread", "daily", ".", ",", "(", ")", "é"])
        | st.text(max_size=4),
        max_size=30,
    ).map("".join)
)
def test_the_linear_contact_pattern_judges_bios_as_the_former_one(bio: str) -> None:
    assert is_thin_bio(bio) == _former_is_thin_bio(bio)
