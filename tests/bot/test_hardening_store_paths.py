"""One unreadable record never stops recommend, tier or ingest; /tier never waits for the Chroma
server (issue 10). The real ``storyfit`` CLI and service over real embedded Chroma and a real
``chroma run`` server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.service import StoryfitService, UnknownHandleError
from bot.settings import load_settings
from retrieval.store.chroma import ChromaUnavailableError
from tests.conftest import SAMPLE_ROSTER
from tests.retrieval.test_hardening_store import BIGSHOT, huge_record, write_behind_the_importer
from tests.support.chroma_server import running_chroma
from tests.support.storyfit_process import run_storyfit

ROSTER_CSV = (
    "handle,platform,followers,bio\n"
    "janecooks,instagram,8400,Weeknight vegetarian dinners for busy parents.\n"
    "trailtess,tiktok,12300,Ultra runner; muddy mountain miles before work.\n"
)


def warning_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if BIGSHOT in line]


def test_a_record_the_catalog_cannot_hold_is_skipped_and_reported_on_every_path(
    tmp_path: Path,
) -> None:
    data_dir = tmp_path / "data"
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER_CSV, encoding="utf-8")
    assert run_storyfit(data_dir, "ingest", str(roster)).returncode == 0
    write_behind_the_importer(data_dir, BIGSHOT, huge_record())

    answer = run_storyfit(data_dir, "recommend", "vegetarian dinners for busy families", "--json")
    assert answer.returncode == 0, answer.stderr
    picks = [pick["handle"] for pick in json.loads(answer.stdout)["picks"]]
    assert "janecooks" in picks and "bigshot" not in picks
    (warning,) = warning_lines(answer.stderr)
    assert "tiktok:bigshot" in warning and "followers" in warning
    assert "storyfit ingest" in warning and "Traceback" not in answer.stderr

    tier = run_storyfit(data_dir, "tier", "@janecooks", "--json")
    assert tier.returncode == 0 and json.loads(tier.stdout)["tier"] == "micro"
    assert len(warning_lines(tier.stderr)) == 1

    # Importing the creator with a real count repairs the store: no more warning.
    roster.write_text(ROSTER_CSV + "bigshot,tiktok,2000000,Everything.\n", encoding="utf-8")
    fixed = run_storyfit(data_dir, "ingest", str(roster))
    assert fixed.returncode == 0, fixed.stderr
    tier = run_storyfit(data_dir, "tier", "@bigshot", "--json")
    assert tier.returncode == 0 and json.loads(tier.stdout)["followers"] == 2_000_000
    assert warning_lines(tier.stderr) == []


# -- /tier never waits for the Chroma server -----------------------------------------------------


@pytest.mark.server
def test_handle_lookups_answer_from_the_catalog_without_the_server(tmp_path: Path) -> None:
    with running_chroma(tmp_path / "server") as url:
        settings = load_settings(data_dir=tmp_path / "data", chroma_url=url)
        service = StoryfitService(settings)
        service.import_roster(SAMPLE_ROSTER)
        service.index.revision_check_interval = 0  # a read-time check would now be due
    with service:
        # The server is gone: a lookup that touched it would raise ChromaUnavailableError.
        lookup = service.lookup_tier("@balconyjungle")
        assert (lookup.followers, lookup.tier) == (510_000, "macro")
        with pytest.raises(UnknownHandleError, match="balconyjungle"):
            service.lookup_tier("@balconyjungel")
        assert sum(service.tier_counts().values()) > 0
        with pytest.raises(ChromaUnavailableError):
            service.index.dense_search(service.embedder.embed_query("plants"), 3)
