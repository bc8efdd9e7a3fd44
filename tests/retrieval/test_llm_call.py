"""One structured call against a local OpenAI-compatible server: every failure becomes ``None``
within the deadline, usage is logged, the key and the prompt's data never are."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator

import openai
import pytest
from pydantic import BaseModel

from prompts import RenderedPrompt
from retrieval.llm.call import Deadline, LlmSession
from tests.support.openai_mock_server import (
    MockOpenAIServer,
    Reply,
    completion,
    error,
    never_answers,
)

API_KEY = "sk-test-DO-NOT-LOG-0123456789"
SECRET_BIO = "a very private bio sentence that must stay out of the logs"


class Answer(BaseModel):
    word: str


PROMPT = RenderedPrompt(system="Answer with one word.", user=f"<bio>{SECRET_BIO}</bio>")


@pytest.fixture
def server() -> Iterator[MockOpenAIServer]:
    with MockOpenAIServer() as mock:
        yield mock


def session(server: MockOpenAIServer, seconds: float = 5.0) -> LlmSession:
    client = openai.OpenAI(api_key=API_KEY, base_url=server.base_url)
    return LlmSession(client=client, model="mock-model", deadline=Deadline.after(seconds))


def test_answer_is_parsed_and_usage_logged_without_key_or_data(
    server: MockOpenAIServer, caplog: pytest.LogCaptureFixture
) -> None:
    server.script(completion(Answer(word="coffee"), prompt_tokens=321, completion_tokens=7))
    llm = session(server)
    with caplog.at_level(logging.DEBUG, logger="retrieval"):
        answer = llm.ask("test", PROMPT, Answer, 50)
        llm.log_usage()
    assert answer == Answer(word="coffee")
    assert (llm.prompt_tokens, llm.completion_tokens) == (321, 7)
    assert "prompt_tokens=321 completion_tokens=7" in caplog.text
    assert API_KEY not in caplog.text
    assert SECRET_BIO not in caplog.text
    body = server.requests[0].body
    assert body["response_format"]["type"] == "json_schema"
    assert body["max_completion_tokens"] == 50
    assert server.requests[0].headers["authorization"] == f"Bearer {API_KEY}"


def test_rate_limit_then_success_retries_once_after_retry_after(server: MockOpenAIServer) -> None:
    server.script(error(429, "slow down", retry_after=0.2), completion(Answer(word="ok")))
    started = time.monotonic()
    answer = session(server).ask("test", PROMPT, Answer, 50)
    assert answer == Answer(word="ok")
    assert len(server.requests) == 2
    assert time.monotonic() - started >= 0.2


def test_retry_after_beyond_the_deadline_is_not_waited_for(server: MockOpenAIServer) -> None:
    server.script(error(429, "slow down", retry_after=30))
    llm = session(server, seconds=2.0)
    started = time.monotonic()
    assert llm.ask("test", PROMPT, Answer, 50) is None
    assert time.monotonic() - started < 1.0
    assert llm.unavailable and len(server.requests) == 1


def test_server_errors_give_up_after_one_retry(server: MockOpenAIServer) -> None:
    server.script(error(500), error(503), completion(Answer(word="too late")))
    llm = session(server)
    assert llm.ask("test", PROMPT, Answer, 50) is None
    assert len(server.requests) == 2
    assert llm.unavailable
    assert llm.ask("second", PROMPT, Answer, 50) is None  # skipped: the model is down
    assert len(server.requests) == 2


def test_client_errors_are_not_retried(server: MockOpenAIServer) -> None:
    server.script(error(401, "bad key"), completion(Answer(word="never")))
    llm = session(server)
    assert llm.ask("test", PROMPT, Answer, 50) is None
    assert len(server.requests) == 1
    assert not llm.unavailable


@pytest.mark.parametrize(
    "reply",
    [
        completion(None, refusal="I can't help with that."),
        completion('{"word": "cut', finish_reason="length"),
        completion(Answer(word="filtered"), finish_reason="content_filter"),
        completion('{"word": '),
        completion('{"other": 1}'),
        completion("Sure! Here is your answer: coffee"),
    ],
    ids=["refusal", "length", "content-filter", "broken-json", "wrong-schema", "prose"],
)
def test_unusable_answers_become_none(
    server: MockOpenAIServer, reply: Reply, caplog: pytest.LogCaptureFixture
) -> None:
    server.script(reply)
    with caplog.at_level(logging.INFO, logger="retrieval"):
        assert session(server).ask("test", PROMPT, Answer, 50) is None
    assert len(server.requests) == 1
    assert "openai test" in caplog.text
    assert "Traceback" not in caplog.text


def test_a_server_that_never_answers_is_cut_off_at_the_deadline(server: MockOpenAIServer) -> None:
    server.script(never_answers(), never_answers())
    llm = session(server, seconds=1.0)
    started = time.monotonic()
    assert llm.ask("test", PROMPT, Answer, 50) is None
    elapsed = time.monotonic() - started
    assert 0.9 <= elapsed < 1.5
    assert llm.unavailable and len(server.requests) == 1


def test_a_share_of_the_deadline_bounds_one_call(server: MockOpenAIServer) -> None:
    server.script(never_answers())
    llm = session(server, seconds=2.0)
    started = time.monotonic()
    assert llm.ask("test", PROMPT, Answer, 50, llm.deadline.share(0.25)) is None
    assert time.monotonic() - started < 1.0
    assert llm.deadline.remaining() > 1.0
