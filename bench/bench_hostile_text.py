"""What text crafted to make the patterns backtrack costs: bios, briefs and counts (issue 10).

Times ``is_thin_bio`` and ``unpickable_reason`` on 50,000-character bios, ``read_brief`` on briefs
of ``MAX_BRIEF_CHARS`` made of one repeated unit, and ``parse_count`` on huge counts; each figure
is the best of ``--repeat`` runs (best, not mean: the machine is shared), next to an ordinary input
of the same kind for scale.

    python bench/bench_hostile_text.py [--repeat 3]

Before issue 10's fix: ``is_thin_bio`` took 21 s on "a" * 50,000, ``read_brief`` 1.4 s on
"100 " repeated, ``parse_count("1e999999")`` 278 s.
"""

from __future__ import annotations

import argparse
import contextlib
import time
from collections.abc import Callable

from retrieval.contract import MAX_BRIEF_CHARS, RecommendRequest
from retrieval.counts import parse_count
from retrieval.engine.bio_checks import unpickable_reason
from retrieval.engine.brief import read_brief
from retrieval.errors import StoryfitError
from retrieval.roster.creator import is_thin_bio

BIO_CHARS = 50_000
BIOS = {
    "ordinary bio": "Weeknight vegetarian dinners for busy parents. DM for collabs: jo@ex.com",
    "a * 50,000": "a" * BIO_CHARS,
    "a * 50,000 + @": "a" * BIO_CHARS + "@",
    "# * 50,000 + word": "#" * BIO_CHARS + " instruction",
    "'x.' * 25,000": "x." * (BIO_CHARS // 2),
    "'ignore ' repeated": ("ignore " * BIO_CHARS)[:BIO_CHARS],
    "newlines + system:": "\n" * BIO_CHARS + "system:",
}
BRIEF_UNITS = ["100 ", "999 ", "100,", "1 000 ", "In Spain, ", "UK-based ", "in ", "speak ", "a b "]
ORDINARY_BRIEF = (
    "A small roastery that pays growers fairly, for people who make coffee a ritual: 2 macro and "
    "5 micro creators in Germany or Austria, under 50k followers, on Instagram or TikTok."
)
COUNTS = ["12.3K", "1e999999", "1e20", "9" * 5_000, "1e99999999999999999999"]


def best_seconds(work: Callable[[], object], repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        with contextlib.suppress(StoryfitError):
            work()
        best = min(best, time.perf_counter() - started)
    return best


def fresh_unpickable(bio: str) -> str | None:
    unpickable_reason.cache_clear()
    return unpickable_reason(bio)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=3)
    repeat = parser.parse_args().repeat
    read_brief(RecommendRequest(brief=ORDINARY_BRIEF))  # load the country and language tables

    print(f"{'bio':<22} {'chars':>7} {'is_thin_bio':>12} {'unpickable_reason':>18}")
    for name, bio in BIOS.items():
        thin = best_seconds(lambda bio=bio: is_thin_bio(bio), repeat)
        unpickable = best_seconds(lambda bio=bio: fresh_unpickable(bio), repeat)
        print(f"{name:<22} {len(bio):>7,} {thin * 1e3:>9.2f} ms {unpickable * 1e3:>15.2f} ms")

    print(f"\n{'brief':<22} {'chars':>7} {'read_brief':>12}")
    briefs = {"ordinary brief": ORDINARY_BRIEF}
    for unit in BRIEF_UNITS:
        briefs[f"{unit!r} repeated"] = ("coffee " + unit * MAX_BRIEF_CHARS)[:MAX_BRIEF_CHARS]
    for name, text in briefs.items():
        seconds = best_seconds(lambda text=text: read_brief(RecommendRequest(brief=text)), repeat)
        print(f"{name:<22} {len(text):>7,} {seconds * 1e3:>9.2f} ms")

    print(f"\n{'count':<26} {'parse_count':>12}")
    for count in COUNTS:
        seconds = best_seconds(lambda count=count: parse_count(count), repeat)
        shown = count if len(count) <= 24 else f"{count[:8]}… ({len(count):,} chars)"
        print(f"{shown:<26} {seconds * 1e6:>9.1f} µs")


if __name__ == "__main__":
    main()
