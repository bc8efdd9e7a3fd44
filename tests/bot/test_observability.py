"""Request ids carried across threads, JSON log lines with credentials masked, the request
counted once all its work has ended, and the model's tokens in the metrics."""

from __future__ import annotations

import io
import json
import logging
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.listeners.runtime import BusyError, ListenerDeps, describe_failure
from bot.observability.context import RequestExecutor, RequestScope, handling
from bot.observability.logs import log_handler
from bot.observability.metrics import Metrics
from bot.service import StoryfitService
from bot.settings import SettingsError, load_settings
from bot.slack.admins import Admins
from retrieval.contract import RecommendRequest
from retrieval.llm.grade import GradedSides
from tests.support.builders import reading
from tests.support.metrics_page import metric
from tests.support.openai_mock_server import MockOpenAIServer, completion, error

pytest_plugins = ("tests.support.fixtures_llm",)

SECRET_URL = "postgresql+psycopg://storyfit:hunter2-secret@db.internal/storyfit"
BOT_TOKEN = "xoxb-1234567890-abcdefghijkl"


@pytest.fixture
def json_lines() -> Iterator[io.StringIO]:
    """What loggers under ``storyfit.test`` write, as ``STORYFIT_LOG_FORMAT=json`` lines."""
    stream = io.StringIO()
    handler = log_handler("json", stream)
    logger = logging.getLogger("storyfit.test")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    try:
        yield stream
    finally:
        logger.removeHandler(handler)


def lines_of(stream: io.StringIO) -> list[dict[str, str]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def finished_into(done: list[RequestScope]) -> RequestScope:
    return RequestScope("event", done.append)


def test_json_lines_mask_credentials_in_messages_and_tracebacks(json_lines: io.StringIO) -> None:
    logger = logging.getLogger("storyfit.test")
    try:
        raise ConnectionError(f"could not connect to {SECRET_URL} with {BOT_TOKEN}")
    except ConnectionError:
        logger.exception("History unavailable at %s", SECRET_URL)
    [line] = lines_of(json_lines)
    assert line["level"] == "ERROR" and line["logger"] == "storyfit.test"
    assert (
        line["message"]
        == "History unavailable at postgresql+psycopg://storyfit:***@db.internal/storyfit"
    )
    assert "Traceback" in line["exception"] and "ConnectionError" in line["exception"]
    assert "hunter2" not in json_lines.getvalue() and "abcdefghijkl" not in json_lines.getvalue()
    assert "request_id" not in line, "outside a request there is no request id"


def test_lazy_listener_and_engine_lines_carry_the_requests_id(json_lines: io.StringIO) -> None:
    logger = logging.getLogger("storyfit.test")
    done: list[RequestScope] = []
    engine = ThreadPoolExecutor(1, thread_name_prefix="storyfit-engine")
    lazy = RequestExecutor(ThreadPoolExecutor(1, thread_name_prefix="storyfit-slack"))
    deps = ListenerDeps(None, engine, Admins([]))  # type: ignore[arg-type]
    engine_may_end = threading.Event()

    def engine_work() -> str:
        logger.info("engine")
        engine_may_end.wait(10)
        return "answer"

    def lazy_listener() -> None:
        logger.info("lazy")
        logger.info("got %s", deps.run(engine_work))

    scope = finished_into(done)
    with handling(scope):
        logger.info("ack")
        lazy.submit(lazy_listener)
    assert done == [], "the request is not done while its lazy work runs"
    engine_may_end.set()
    lazy.shutdown(wait=True)
    engine.shutdown(wait=True)
    assert done == [scope] and scope.outcome == "ok"
    lines = lines_of(json_lines)
    assert [line["message"] for line in lines] == ["ack", "lazy", "engine", "got answer"]
    assert {line["request_id"] for line in lines} == {scope.request_id}
    assert [line["thread"].split("_")[0] for line in lines] == [
        "MainThread",
        "storyfit-slack",
        "storyfit-engine",
        "storyfit-slack",
    ]


def test_a_brief_turned_away_marks_its_request_busy() -> None:
    done: list[RequestScope] = []
    metrics = Metrics()
    deps = ListenerDeps(
        None,  # type: ignore[arg-type]
        ThreadPoolExecutor(1),
        Admins([]),
        max_waiting=0,
        metrics=metrics,
    )
    with handling(finished_into(done)):
        with pytest.raises(BusyError) as turned_away:
            deps.run(lambda: None)
        describe_failure(turned_away.value, logging.getLogger("storyfit.test"), "testing")
    [scope] = done
    assert scope.outcome == "busy"
    assert depth(metrics) == 0


def test_the_engine_queue_counts_calls_waiting_or_running() -> None:
    metrics = Metrics()
    engine = ThreadPoolExecutor(1)
    deps = ListenerDeps(None, engine, Admins([]), metrics=metrics)  # type: ignore[arg-type]
    release = threading.Event()
    waiting = [
        threading.Thread(target=deps.run, args=(release.wait,), daemon=True) for _ in range(3)
    ]
    try:
        for thread in waiting:
            thread.start()
        deadline = time.monotonic() + 10
        while depth(metrics) < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert depth(metrics) == 3, "one running, two waiting"
    finally:
        release.set()
    for thread in waiting:
        thread.join()
    engine.shutdown(wait=True)
    assert depth(metrics) == 0


def depth(metrics: Metrics) -> float:
    return sample(metrics, "storyfit_engine_queue_depth")


def sample(metrics: Metrics, name: str, **labels: str) -> float:
    return metric(metrics.exposition()[0].decode(), name, **labels)


def test_the_models_tokens_are_counted(llm: MockOpenAIServer, service: StoryfitService) -> None:
    metrics = Metrics()
    llm.script(
        completion(reading(story=""), prompt_tokens=100, completion_tokens=10),
        completion(GradedSides(awareness=[], action=[]), prompt_tokens=200, completion_tokens=20),
        error(400),  # the explanation fails: no tokens
    )
    result = service.recommend(
        RecommendRequest(brief="Slow coffee mornings at home."), on_usage=metrics.count_tokens
    )
    assert result.explained_by == "rules"
    prompt = sample(metrics, "storyfit_model_tokens_total", model="mock-model", kind="prompt")
    completions = sample(
        metrics, "storyfit_model_tokens_total", model="mock-model", kind="completion"
    )
    assert (prompt, completions) == (300, 30)


def test_an_unknown_log_format_is_named_at_start() -> None:
    with pytest.raises(SettingsError, match="STORYFIT_LOG_FORMAT"):
        load_settings(log_format="yaml")
