"""Property-based tests (issue 10): parsers and builders driven with generated input.

Whatever comes in, the parsers either return a valid value or raise one of the project's own
errors (the ``StoryfitError`` family), and every Block Kit builder stays within Slack's limits.
Examples are few and small so that the file runs in seconds; ``bench/bench_fuzz.py`` runs the
same targets over 100,000+ inputs.
"""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, timedelta
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.blocks import home, kit, modal, replies, results
from bot.cli import _print_import_report, out
from bot.service import ImportReport, TierLookup
from retrieval.contract import Filters, Pick, Recommendation, RecommendRequest, Shortfall
from retrieval.counts import MAX_COUNT, CountError, parse_count
from retrieval.engine.brief import read_brief
from retrieval.errors import StoryfitError
from retrieval.roster.creator import Creator
from retrieval.roster.load import DuplicateRow, RejectedRow, RosterLoad, load_roster_text
from retrieval.store.index import UpsertReport
from retrieval.tiers import DEFAULT_SCHEME
from tests.support.block_kit_limits import block_problems, view_problems
from tests.support.hostile_inputs import BRIEF_PIECES, COLUMN_NAMES, COUNT_CHARACTERS, MARKUP

FAST = settings(
    max_examples=40,
    deadline=timedelta(seconds=2),
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

# --- Strategies ------------------------------------------------------------------------------

#: Text of every kind: arbitrary, markup and Slack sequences, and long repetitions.
texts = st.one_of(
    st.text(max_size=40),
    st.sampled_from(MARKUP),
    st.lists(st.sampled_from(MARKUP) | st.text(max_size=8), max_size=8).map("".join),
    st.builds(
        lambda piece, times: piece * times, st.text(min_size=1, max_size=4), st.integers(1, 3_000)
    ),
)
count_texts = st.one_of(
    st.text(COUNT_CHARACTERS, max_size=40),
    st.from_regex(r"\s?[0-9]{1,16}([.,][0-9]{1,4})?(e[0-9]{1,10})?\s?[kmbKMB]?", fullmatch=True),
    st.text(max_size=20),
    st.builds(lambda digits: "9" * digits, st.integers(1, 6_000)),
)
json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats()
    | texts
    | count_texts,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)
rows = st.dictionaries(
    st.sampled_from(COLUMN_NAMES) | st.text(max_size=10), json_values, max_size=8
)
KEEPER = {"handle": "zz_keeper", "followers": 8_400, "bio": "Weeknight vegetarian dinners."}


def cell_text(value: object) -> str:
    return value if isinstance(value, str) else json.dumps(value)


@st.composite
def csv_files(draw: st.DrawFn) -> bytes:
    header = draw(st.lists(st.sampled_from(COLUMN_NAMES) | texts, min_size=1, max_size=8))
    delimiter = draw(st.sampled_from([",", ";", "\t"]))
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter)
    writer.writerow(header)
    for row in draw(st.lists(st.lists(json_values.map(cell_text), max_size=10), max_size=6)):
        writer.writerow(row)
    return out.getvalue().encode("utf-8")


roster_files = st.one_of(
    csv_files(),
    st.lists(rows, max_size=6).map(lambda items: json.dumps([*items, KEEPER]).encode()),
    st.lists(rows, max_size=6).map(
        lambda items: "\n".join(json.dumps(item) for item in [*items, KEEPER]).encode()
    ),
    st.lists(
        st.sampled_from(['"', ",", "\n", "\r", "[", "{", "}", "]", ":", "\\"]) | texts, max_size=30
    ).map(lambda parts: "".join(parts).encode("utf-8", "surrogatepass")),
    st.binary(max_size=200),
)
briefs = st.lists(st.sampled_from(BRIEF_PIECES) | texts, min_size=1, max_size=16).map(" ".join)
optional_count = st.none() | st.integers(min_value=0, max_value=10**15)
requests = st.builds(
    RecommendRequest,
    brief=briefs,
    objective=st.none() | st.sampled_from(["awareness", "conversion", "balanced"]),
    macro=st.none() | st.integers(0, 20),
    micro=st.none() | st.integers(0, 50),
    platform=st.lists(texts, max_size=2),
    country=st.lists(st.sampled_from(["DE", "Spain", "Mars", ""]) | texts, max_size=2),
    language=st.lists(st.sampled_from(["de", "Spanish", "Klingon"]) | texts, max_size=2),
    min_followers=optional_count,
    max_followers=optional_count,
    exclude=st.lists(texts, max_size=2),
)
follower_counts = st.integers(min_value=0, max_value=MAX_COUNT - 1)
picks = st.builds(
    Pick,
    handle=texts,
    platform=texts,
    name=st.none() | texts,
    followers=follower_counts,
    tier=texts,
    role=st.sampled_from(["awareness", "action"]),
    score=st.floats(min_value=-1, max_value=1),
    why=texts,
    evidence=st.lists(texts, max_size=4),
    engagement_rate=st.none() | st.floats(min_value=0, max_value=1),
    country=st.none() | texts,
    language=st.none() | texts,
)
recommendations = st.builds(
    Recommendation,
    brief=texts,
    objective=st.sampled_from(["awareness", "conversion", "balanced"]),
    filters=st.builds(
        Filters,
        platform=st.lists(texts, max_size=3),
        country=st.lists(texts, max_size=3),
        language=st.lists(texts, max_size=3),
        min_followers=st.none() | follower_counts,
        max_followers=st.none() | follower_counts,
    ),
    picks=st.lists(picks, max_size=70),
    shortfall=st.lists(
        st.builds(
            Shortfall,
            tier=st.sampled_from(["macro", "micro"]),
            requested=st.integers(0, 50),
            found=st.integers(0, 50),
            reason=texts,
        ),
        max_size=2,
    ),
    explanation=texts,
    explained_by=st.sampled_from(["rules", "llm"]),
    notices=st.lists(texts, max_size=12),
)
creators = st.builds(
    Creator.model_construct,
    handle=texts,
    platform=texts,
    followers=follower_counts,
    bio=texts,
    name=st.none() | texts,
    country=st.none() | texts,
    language=st.none() | texts,
    engagement_rate=st.none() | st.floats(min_value=0, max_value=1),
    topics=st.lists(texts, max_size=5),
    extra=st.dictionaries(texts, texts, max_size=5),
)


def within_limits(message: kit.SlackMessage) -> None:
    assert block_problems(message.blocks) == []
    assert len(message.text) <= 4_000


# --- Parsers ---------------------------------------------------------------------------------


@FAST
@given(count_texts | st.integers(min_value=-(10**40), max_value=10**40) | st.floats())
def test_a_count_is_bounded_or_refused_with_a_count_error(text: str | int | float) -> None:
    try:
        count = parse_count(text)
    except CountError as error:
        assert str(error) and "\n" not in str(error) and len(str(error)) < 200
        return
    assert isinstance(count, int) and 0 <= count < MAX_COUNT


@FAST
@given(follower_counts)
def test_every_count_in_range_reads_back_as_written(count: int) -> None:
    assert parse_count(str(count)) == count
    assert parse_count(f"{count:,}") == count


def check_load(load: RosterLoad) -> None:
    assert load.total_rows == len(load.creators) + load.rejected_count + len(load.duplicates)
    for creator in load.creators:
        assert 0 <= creator.followers < MAX_COUNT
        assert creator.engagement_rate is None or 0 <= creator.engagement_rate <= 1
        creator.content_hash()
        creator.embedding_text()
    for rejected in load.rejected:
        assert rejected.reason and len(rejected.reason) < 400
        assert rejected.value is None or len(rejected.value) <= 80


@FAST
@given(roster_files)
def test_a_roster_file_loads_or_is_refused_in_one_sentence(data: bytes) -> None:
    """A JSON or JSON Lines file ending in a valid creator keeps it, whatever comes before."""
    keeper = json.dumps(KEEPER).encode()
    ends_with_keeper = data.endswith((keeper, keeper + b"]"))
    try:
        load = load_roster_text(data, "fuzz")
    except StoryfitError as error:
        assert str(error) and not ends_with_keeper
        return
    check_load(load)
    if ends_with_keeper:
        assert "unknown:zz_keeper" in {creator.key for creator in load.creators}


@FAST
@given(requests)
def test_a_brief_is_read_or_refused_in_one_sentence(request: RecommendRequest) -> None:
    try:
        brief = read_brief(request)
    except StoryfitError as error:
        assert str(error)
        return
    low, high = brief.filters.min_followers, brief.filters.max_followers
    assert low is None or high is None or low <= high
    assert brief.macro is None or 0 <= brief.macro <= 20
    assert brief.micro is None or 0 <= brief.micro <= 50
    assert len(brief.text) <= 4_000 and brief.story


# --- Block Kit builders ----------------------------------------------------------------------


@FAST
@given(recommendations, st.none() | st.integers(0, 10**12), st.none() | texts)
def test_every_result_message_keeps_slack_limits(
    rec: Recommendation, request_id: int | None, asked_by: str | None
) -> None:
    messages = results.result_messages(rec, request_id, asked_by)
    assert messages
    for message in messages:
        within_limits(message)


@FAST
@given(picks, st.lists(picks, max_size=30))
def test_lookalike_messages_keep_slack_limits(seed: Pick, similar: list[Pick]) -> None:
    for message in results.lookalike_messages(seed, similar):
        within_limits(message)


@FAST
@given(texts, st.lists(texts, max_size=5), creators, follower_counts, texts)
def test_short_messages_and_cards_keep_slack_limits(
    text: str, suggestions: list[str], creator: Creator, followers: int, tier: str
) -> None:
    for message in (
        results.placeholder_message(text),
        replies.empty_brief_message(text),
        replies.error_message(text),
        replies.notice_message(text),
        replies.unknown_handle_message(text, suggestions),
        replies.tier_message(
            TierLookup(
                query=text,
                followers=followers,
                tier=tier,
                min=0,
                max=None,
                role=text,
                creator=creator,
            )
        ),
    ):
        within_limits(message)
    assert block_problems(replies.creator_card(creator)) == []


@FAST
@given(
    texts,
    st.none() | st.dictionaries(texts, st.integers(0, MAX_COUNT), max_size=5),
    st.lists(
        st.builds(
            home.RecentBrief,
            brief=texts,
            created_at=st.none() | st.datetimes(timezones=st.just(UTC)),
            picks=st.integers(0, 70),
        ),
        max_size=8,
    ),
    st.none() | texts,
)
def test_views_keep_slack_limits(
    story: str,
    tier_counts: dict[str, int] | None,
    recent: list[home.RecentBrief],
    problem: str | None,
) -> None:
    assert view_problems(modal.brief_modal(story)) == []
    home_tab: dict[str, Any] = home.home_view(tier_counts, DEFAULT_SCHEME, recent, problem)
    assert view_problems(home_tab) == []


# --- The terminal ------------------------------------------------------------------------------


@FAST
@given(
    texts,
    st.lists(
        st.builds(DuplicateRow, row=st.integers(1, 99), kept_row=st.integers(1, 99), key=texts),
        max_size=3,
    ),
    st.lists(
        st.builds(
            RejectedRow,
            row=st.integers(1, 99),
            field=st.none() | texts,
            value=st.none() | texts,
            reason=texts,
        ),
        min_size=1,
        max_size=3,
    ),
)
def test_the_import_report_prints_any_user_text_as_text(
    source: str, duplicates: list[DuplicateRow], rejected: list[RejectedRow]
) -> None:
    load = RosterLoad(
        format="csv",
        creators=[],
        rejected=rejected,
        duplicates=duplicates,
        thin=[],
        total_rows=len(rejected) + len(duplicates),
    )
    upsert = UpsertReport(added=[], updated=[], unchanged=[], embedded=0)
    with out.capture() as captured:
        _print_import_report(ImportReport(source=source, load=load, upsert=upsert))
    assert f"Rejected row {rejected[0].row}" in captured.get()
