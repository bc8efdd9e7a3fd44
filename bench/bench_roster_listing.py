"""``creators list`` and ``creators export`` on a large roster: time and peak memory.

    python bench/bench_roster_listing.py [--creators 450000] [--json]

Fills a catalog (the SQLite mirror that listing and export read; Chroma is not involved) with
synthetic creators, then times: the first table page (count + 50 rows by followers), the same
with a country filter, every creator by followers (``list --json``), the whole roster as a CSV
and as a JSON Lines export, and a removal. Peak RSS is the process's own high-water mark after
each step (the catalog fill comes first, so an export under the fill's peak shows no growth).
"""

from __future__ import annotations

import argparse
import functools
import json
import resource
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from retrieval.roster.creator import Creator
from retrieval.roster.export import write_roster
from retrieval.store.catalog import Catalog, CatalogEntry, CreatorFilter
from retrieval.tiers import DEFAULT_SCHEME

COUNTRIES = ("US", "GB", "DE", "BR", "FR", "IN", "ES", "IT")
FILL_CHUNK = 5_000
EVERYONE = CreatorFilter()
GERMANY = CreatorFilter(country="DE")


def synthetic(count: int) -> Iterator[CatalogEntry]:
    for number in range(count):
        followers = (number * 7_919) % 3_000_000
        creator = Creator.model_construct(
            handle=f"creator{number}",
            platform=("instagram", "tiktok", "youtube")[number % 3],
            followers=followers,
            bio=f"Creator {number}: weeknight dinners, trail runs and coffee rituals, {number}.",
            name=f"Name {number}",
            country=COUNTRIES[number % len(COUNTRIES)],
            language="en",
            engagement_rate=None,
            topics=["food", "running"],
            extra={"Notes": f"row {number}"} if number % 10 == 0 else {},
        )
        tier = DEFAULT_SCHEME.classify(followers).name
        yield CatalogEntry(creator, tier, "r", "e")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def timed(step: Callable[[], object]) -> tuple[float, object]:
    start = time.perf_counter()
    result = step()
    return time.perf_counter() - start, result


def first_page(catalog: Catalog, where: CreatorFilter) -> list[Creator]:
    """What ``creators list`` reads: the count, then the 50 biggest matches."""
    catalog.count_matching(where)
    return list(catalog.by_followers(where, 50))


def export(catalog: Catalog, path: Path) -> int:
    return write_roster(catalog.iter_creators(), path, extra_columns=catalog.extra_columns())


def run(count: int, folder: Path) -> dict[str, float]:
    catalog = Catalog(folder / "catalog.sqlite3")
    batch: list[CatalogEntry] = []
    for entry in synthetic(count):
        batch.append(entry)
        if len(batch) == FILL_CHUNK:
            catalog.put(batch)
            batch = []
    catalog.put(batch)
    figures = {"creators": float(count), "rss_after_fill_mb": peak_rss_mb()}
    for name, where in (("list_page_s", EVERYONE), ("list_country_page_s", GERMANY)):
        figures[name], _ = timed(functools.partial(first_page, catalog, where))
    figures["list_json_all_s"], _ = timed(lambda: sum(1 for _ in catalog.by_followers(EVERYONE)))
    for suffix in ("csv", "jsonl"):
        path = folder / f"export.{suffix}"
        figures[f"export_{suffix}_s"], _ = timed(functools.partial(export, catalog, path))
        figures[f"export_{suffix}_creators_per_s"] = count / figures[f"export_{suffix}_s"]
        figures[f"rss_after_export_{suffix}_mb"] = peak_rss_mb()
    figures["remove_one_s"], _ = timed(lambda: catalog.remove(["tiktok:creator1"]))
    catalog.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creators", type=int, default=450_000)
    parser.add_argument("--json", action="store_true")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        figures = run(options.creators, Path(folder))
    if options.json:
        print(json.dumps(figures))
        return
    for name, value in figures.items():
        print(f"{name:32} {value:,.3f}")


if __name__ == "__main__":
    main()
