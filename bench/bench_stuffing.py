"""How often keyword-stuffed bios win dev briefs, with and without the stuffing damping.

    python bench/bench_stuffing.py

The sample roster plus ten stuffed micro-tier bios (lists of many unrelated niches, some "I do
it all", in four languages) in embedded Chroma; each of the 40 dev briefs of
``tests/eval/briefs.json`` is recommended as users get it (``Recommender.recommend``). Reported:
the briefs in which at least one stuffed creator is picked, and the stuffed picks in all, with
``retrieval.engine.stuffing`` on and off.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path
from typing import Any
from unittest import mock

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from bench.bench_quality import request_for  # noqa: E402
from retrieval.engine import ranking  # noqa: E402
from retrieval.engine.recommender import Recommender  # noqa: E402
from retrieval.roster.creator import Creator  # noqa: E402
from retrieval.roster.load import load_roster  # noqa: E402
from retrieval.store.embeddings import LocalMiniLMEmbedder  # noqa: E402
from retrieval.store.index import CreatorIndex  # noqa: E402
from retrieval.tiers import DEFAULT_SCHEME  # noqa: E402

EVAL = REPO / "tests" / "eval" / "briefs.json"
SAMPLE_ROSTER = REPO / "bot" / "data" / "sample_roster.csv"
MODEL_DIR = REPO.parent / "shared" / "models" / "all-MiniLM-L6-v2" / "onnx"
STUFFED = (
    "Coffee, sourdough, trail running, yoga, vegan food, travel, skincare, finance ... I do it all",
    "Fitness | recipes | travel | makeup | crypto | parenting | cats | music | home decor",
    "Kaffee, Backen, Laufen, Yoga, Reisen, Mode, Finanzen, Gaming, Hunde - ich mache alles",
    "Café, recetas, viajes, moda, maquillaje, perros, fitness, finanzas, gaming: de todo un poco",
    "Mode • beauté • voyage • cuisine • fitness • jeux • chiens • finance • un peu de tout",
    "Skincare, budgeting, hiking, baking, gaming, dog mom, travel, coffee, books, DIY",
    "Yoga / wine / investing / cats / camping / makeup / tech / music / recipes",
    "travel + food + fitness + fashion + crypto + parenting + pets + gaming + art",
    "Running, espresso, interior design, photography, crypto, vegan recipes, kids, travel",
    "Outfits | meal prep | marathon | skincare | stocks | puppies | guitar | gardening | books",
)


def stuffed_creators() -> list[Creator]:
    return [
        Creator(handle=f"stuffed{number}", platform="instagram", followers=6_000 + number, bio=bio)
        for number, bio in enumerate(STUFFED)
    ]


def measure(engine: Recommender, briefs: list[dict[str, Any]]) -> tuple[int, int]:
    won = picks = 0
    for brief in briefs:
        result = engine.recommend(request_for(brief))
        stuffed = sum(pick.handle.startswith("stuffed") for pick in result.picks)
        won += stuffed > 0
        picks += stuffed
    return won, picks


def main() -> None:
    briefs = json.loads(EVAL.read_text(encoding="utf-8"))["briefs"]
    embedder = LocalMiniLMEmbedder(MODEL_DIR)
    with tempfile.TemporaryDirectory() as tmp:
        index = CreatorIndex.open(Path(tmp), embedder, DEFAULT_SCHEME)
        index.upsert([*load_roster(SAMPLE_ROSTER).creators, *stuffed_creators()])
        engine = Recommender(index, DEFAULT_SCHEME, embedder)
        with mock.patch.object(ranking, "stuffing_penalty", lambda bio: 0.0):
            off = measure(engine, briefs)
        on = measure(engine, briefs)
        index.close()
    for label, (won, picks) in (("without damping", off), ("with damping", on)):
        print(f"{label}: stuffed bios picked in {won} of {len(briefs)} briefs ({picks} picks)")


if __name__ == "__main__":
    main()
