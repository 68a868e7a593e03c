"""The fake server's teacher mode: bridge stages that reason to the hinted gold answer, with planted failures."""

from __future__ import annotations

import json
import string
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from vision_r1_plugins.testing.fake_server import (
    CONTEXT_LENGTH_ERROR,
    STAGES,
    TAG_HEADER,
    FakeServer,
    FakeServerConfig,
)

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "vision_r1_plugins" / "bridge" / "prompts"
TEMPLATES = {stage: string.Template((PROMPTS_DIR / f"{stage}.txt").read_text(encoding="utf-8")) for stage in STAGES}
MC_QUESTION = "<image>Find x.\nChoices:\n(A) 3\n(B) 6\n(C) 7\n(D) 9"


@contextmanager
def teacher(**config: Any) -> Iterator[tuple[FakeServer, httpx.Client]]:
    with FakeServer(FakeServerConfig(teacher=True, **config)) as server, httpx.Client(base_url=server.url) as client:
        yield server, client


def ask(client: httpx.Client, stage: str, text: str) -> httpx.Response:
    body = {"model": "fake-mllm", "messages": [{"role": "user", "content": text}], "max_tokens": 4096}
    return client.post("/chat/completions", json=body, headers={TAG_HEADER: stage})


def chain(client: httpx.Client, question: str, answer: str) -> list[dict[str, Any]]:
    """The three stages with the bridge's own prompts, each fed the previous reply as the bridge feeds it."""
    caption = ask(client, "caption_cot", TEMPLATES["caption_cot"].substitute(question=question, answer=answer))
    pseudo_cot = caption.json()["choices"][0]["message"]["content"]
    described = ask(
        client, "description", TEMPLATES["description"].substitute(question=question, pseudo_cot=pseudo_cot)
    )
    description = described.json()["choices"][0]["message"]["content"]
    reasoned = ask(client, "reasoning", TEMPLATES["reasoning"].substitute(question=question, description=description))
    return [response.json()["choices"][0] for response in (caption, described, reasoned)]


@pytest.mark.parametrize(
    ("question", "answer", "carried"),
    [
        ("<image>Find the area of the circle.", "100\\pi", "100\\pi"),
        ("<image>Which drink is the most popular?", "Cocoa", "Cocoa"),
        (MC_QUESTION, "B", "6"),  # the letter is carried as its option's text, and the reasoner maps it back
    ],
)
def test_the_hint_flows_from_caption_to_description_to_the_boxed_answer(
    question: str, answer: str, carried: str
) -> None:
    with teacher() as (server, client):
        caption, described, reasoned = chain(client, question, answer)
        stats = server.stats()
    assert f'comes out as "{carried}"' in caption["message"]["content"]
    assert f'shown in the figure as "{carried}"' in described["message"]["content"]
    assert reasoned["finish_reason"] == "stop"
    assert reasoned["message"]["content"] == f"The answer is \\boxed{{{answer}}}."
    reasoning = reasoned["message"]["reasoning_content"]
    assert len(reasoning) >= 200 and "Wait, let me double-check" in reasoning and carried in reasoning
    assert stats["planted"] == {"failed": 0, "wrong": 0, "truncated": 0, "shortcut": 0, "shortcut_wrong": 0}
    assert stats["stages"] == {"caption_cot": 1, "description": 1, "reasoning": 1, "other": 0}


def test_hint_in_other_wording_and_inline_think() -> None:
    with teacher(reasoning_field=False) as (_, client):
        caption = ask(
            client, "caption_cot", "Describe the figure.\nQuestion: what is x?\nThe expected answer is 28.27."
        )
        value = caption.json()["choices"][0]["message"]["content"]
        described = ask(client, "description", f"Notes: {value}")
        reasoned = ask(client, "reasoning", described.json()["choices"][0]["message"]["content"])
    content = reasoned.json()["choices"][0]["message"]["content"]
    assert 'comes out as "28.27"' in value
    assert content.startswith("<think>\n") and content.endswith("</think>\n\nThe answer is \\boxed{28.27}.")


def test_without_a_hint_the_arithmetic_model_answers() -> None:
    with teacher() as (_, client):
        caption = ask(client, "caption_cot", "Look at the picture: what is 12 + 30?")
    assert "The figure shows the expression 12 + 30." in caption.json()["choices"][0]["message"]["content"]


def test_teacher_mode_off_ignores_the_hint() -> None:
    with FakeServer() as server, httpx.Client(base_url=server.url) as client:
        caption = ask(client, "caption_cot", TEMPLATES["caption_cot"].substitute(question="Find x.", answer="15"))
    assert "comes out as" not in caption.json()["choices"][0]["message"]["content"]


def test_planted_context_length_error_on_the_caption_stage() -> None:
    with teacher(teacher_failed_rate=1.0) as (server, client):
        response = ask(client, "caption_cot", TEMPLATES["caption_cot"].substitute(question="Find x.", answer="15"))
        stats = server.stats()
    assert response.status_code == 400
    assert response.json()["error"]["message"] == CONTEXT_LENGTH_ERROR
    assert stats["planted"]["failed"] == 1 and stats["bad_requests"] == 1


@pytest.mark.parametrize(
    ("question", "answer", "wrong"),
    [
        ("<image>Find the area.", "100\\pi", "101\\pi"),  # the first number off by one
        (MC_QUESTION, "B", "A"),  # another option
    ],
)
def test_planted_wrong_answer(question: str, answer: str, wrong: str) -> None:
    with teacher(teacher_wrong_rate=1.0) as (server, client):
        *_, reasoned = chain(client, question, answer)
        stats = server.stats()
    assert reasoned["message"]["content"] == f"The answer is \\boxed{{{wrong}}}."
    assert stats["planted"]["wrong"] == 1 and stats["wrong_answers"] == 1


def test_a_text_answer_is_never_planted_wrong() -> None:
    with teacher(teacher_wrong_rate=1.0) as (server, client):
        *_, reasoned = chain(client, "<image>Which drink?", "Cocoa")
        stats = server.stats()
    assert reasoned["message"]["content"] == "The answer is \\boxed{Cocoa}."
    assert stats["planted"] == {"failed": 0, "wrong": 0, "truncated": 0, "shortcut": 0, "shortcut_wrong": 0}


def test_planted_truncation_stops_mid_reasoning_with_finish_reason_length() -> None:
    with teacher(teacher_truncated_rate=1.0) as (server, client):
        *_, reasoned = chain(client, "<image>Find x.", "15")
        stats = server.stats()
    assert reasoned["finish_reason"] == "length"
    assert reasoned["message"]["content"] == ""
    assert "final answer" not in reasoned["message"]["reasoning_content"]
    assert stats["planted"]["truncated"] == 1


def test_config_rejects_bad_teacher_rates() -> None:
    with pytest.raises(ValueError, match="teacher_wrong_rate must be in"):
        FakeServerConfig(teacher=True, teacher_wrong_rate=1.5)
    with pytest.raises(ValueError, match="must be <= 1"):
        FakeServerConfig(teacher=True, teacher_wrong_rate=0.6, teacher_truncated_rate=0.6)


def _bridge(out: Path, **rates: float) -> tuple[Any, dict[str, Any]]:
    from vision_r1_plugins.bridge.pipeline import BridgeConfig, bridge
    from vision_r1_plugins.core.resources import sample_problems
    from vision_r1_plugins.generation import BackendConfig, make_backend

    config = FakeServerConfig(teacher=True, seed=6, models=("teacher-mllm", "teacher-reasoner"), **rates)
    with FakeServer(config) as server:
        mllm = make_backend(BackendConfig("openai", "teacher-mllm", base_url=server.url))
        reasoner = make_backend(BackendConfig("openai", "teacher-reasoner", base_url=server.url))
        report = bridge(BridgeConfig(sample_problems(), out), mllm, reasoner)
        return report, server.stats()


def test_the_bridge_keeps_every_sample_without_plants(tmp_path: Path) -> None:
    report, stats = _bridge(tmp_path)
    assert (report.input, report.kept, report.filtered, report.rejected) == (36, 36, {}, {})
    rows = json.loads(report.dataset_path.read_text(encoding="utf-8"))
    problems = [json.loads(line) for line in (tmp_path / "kept.jsonl").read_text().splitlines()]
    assert len(rows) == len(problems) == 36
    assert stats["stages"] == {"caption_cot": 36, "description": 36, "reasoning": 36, "other": 0}


def test_the_bridge_catches_every_planted_failure(tmp_path: Path) -> None:
    report, stats = _bridge(tmp_path, teacher_failed_rate=0.04, teacher_wrong_rate=0.1, teacher_truncated_rate=0.04)
    planted = stats["planted"]
    # The seed plants each kind at least once on the bundled prompts; no shortcut (no rate, no quoted claim).
    assert min(planted[kind] for kind in ("failed", "wrong", "truncated")) >= 1
    assert planted["shortcut"] == planted["shortcut_wrong"] == 0
    assert report.filtered == {"answer_mismatch": planted["wrong"], "truncated": planted["truncated"]}
    assert report.rejected == {"request_failed": planted["failed"]}
    assert report.kept == 36 - sum(planted.values()) and report.kept > 24
