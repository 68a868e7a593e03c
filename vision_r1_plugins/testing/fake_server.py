"""A test double of an OpenAI-compatible chat-completions server (what vLLM and SGLang serve).

It speaks the real protocol over real HTTP so that the bridge's client, its retry loop and the pipeline's
concurrency are exercised exactly as against a production server, without a GPU or a model. The "model" is a
few string templates plus a tiny arithmetic solver. Latency and faults (429, 500, dropped connections,
malformed bodies, stalls) are injected on demand.

Requests are routed on the ``X-Vision-R1-Stage`` header that the bridge's client sends with each stage request
(``caption_cot``, ``description`` or ``reasoning``); a request without it, or with any other value, is a plain
question (inference, evaluation). The prompt text is never parsed for structure, so any prompt wording works
(including a user's own ``--prompts-dir``): the "model" looks for the first integer expression such as
``3 + 6`` or ``6 x 8`` anywhere in the last user message. The caption and the description echo that expression,
so the reasoning stage, whose prompt holds the description, finds and solves it; the reasoning stage refuses
when the text holds none. A plain question with an expression is answered as a Vision-R1 model answers
(``<think>`` then ``<answer>``); one without gets a canned reply. A question containing
``[[bad-request]]`` always gets a 400.

Teacher mode (``FakeServerConfig(teacher=True)``, what ``vision-r1 demo`` runs against) answers the bridge stages
as a teacher model would: the caption/pseudo-CoT prompt's answer hint (a line such as ``ANSWER HINT: 15`` or
``The expected answer is 15.``; for multiple choice the hinted option's text when the prompt lists ``(A) ...``
options) is carried by the caption, then by the description, and the reasoning stage reads it back and reasons
to it (to the option's letter when its prompt lists options), in the form the bridge accepts. Failures are
planted deterministically by prompt (a hash of the seed and the prompt text): ``teacher_failed_rate`` of the
caption requests get the 400 vLLM sends for an over-long prompt, and of the reasoning requests
``teacher_wrong_rate`` answer a misread value (numbers and multiple choice only) and ``teacher_truncated_rate``
stop at the token limit (``finish_reason: "length"``). ``teacher_shortcut_rate`` of the reasoning requests whose
question quotes a claim ("Erin says the image is red.") answer with the claim instead (a reasoner trusting the text
over the description; right only when the claim is), ``teacher_brief`` makes the reasoning one sentence (a toy
task's), and ``teacher_palette`` gives the MLLM colour vision: its description names each image's nearest palette
colour, which the brief reasoner answers when it does not take the shortcut. A stage prompt without a hint or
carried value falls back to the arithmetic "model" above.

Realistic reply lengths (``FakeServerConfig(reply_chars=N)``, ``--reply-chars N``, for benchmarks of memory and
storage): every bridge-stage reply (the caption, the description, the reasoning; not a plain question's answer) is
padded to about N characters with varied filler sentences, drawn by a generator seeded with the reply itself (so
a replayed request gets the same text). The filler is inserted before the reply's last sentence, holds no digits,
quotes or operators, repeats no long phrase and says nothing the bridge reads (no expression, hint, answer or
refusal), so a padded sample is kept exactly when the unpadded one would be.

Fault injection is deterministic: whether a request faults depends only on the seed and the request body's
bytes, and only the first attempt of a given body can fault, so a client that retries always gets through and
a test run can be replayed exactly.

Run standalone (e.g. for a benchmark in a separate process)::

    python -m vision_r1_plugins.testing.fake_server --port 8000 --latency 0.2 --fault-rate 0.1
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import json
import random
import re
import signal
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from aiohttp import web

FAULT_KINDS = ("429", "500", "drop", "malformed", "slow")
# Teacher mode's planted behaviours, counted in /stats: failed requests, misread and truncated reasoning, and
# shortcuts (answers taken from a claim in the question), of which shortcut_wrong were wrong.
PLANTED_KINDS = ("failed", "wrong", "truncated", "shortcut", "shortcut_wrong")
STAGES = ("caption_cot", "description", "reasoning")
# The request header naming a bridge stage. It must match TAG_HEADER in vision_r1_plugins/generation/openai_server.py
# (the client that sends it); it is repeated rather than imported so that this test double depends on nothing in
# the product it tests.
TAG_HEADER = "X-Vision-R1-Stage"
BAD_REQUEST_MARKER = "[[bad-request]]"
REFUSAL = "I cannot determine the answer from the description."
DESCRIPTION_END = "This description contains all the details needed."
# Base64 images make request bodies large; 64 MB leaves room for several full-resolution images per request.
CLIENT_MAX_SIZE = 64 * 1024**2
_IMAGE_PART_TYPES = frozenset({"image_url", "image", "input_image"})

# Integers only: the lookarounds keep "2.5 + 1" or "x2 + 3" from being read as integer expressions, and "x" as
# multiplication needs spaces around it so that "2x + 3" is not taken for "2 times ...".
_ARITHMETIC = re.compile(r"(?<![\w.])(-?\d+)(?:\s*([-+*×])\s*|\s+(x)\s+)(-?\d+)(?![\w]|\.\d)")

# Teacher mode. The hint: a line "[The] [correct|expected|gold] answer [hint]: X" or "... answer is X[.]"; the last
# one in the prompt wins (the question comes first in a prompt). [^\S\n] is horizontal whitespace.
_HINT = re.compile(
    r"^[^\S\n]*(?:the[^\S\n]+)?(?:(?:correct|expected|gold)[^\S\n]+)?answer(?:[^\S\n]+hint)?"
    r"(?:[^\S\n]*:|[^\S\n]+is)[^\S\n]+(?P<answer>\S(?:.*\S)?)$",
    re.IGNORECASE | re.MULTILINE,
)
_OPTION = re.compile(r"^[^\S\n]*\((?P<letter>[A-Z])\)[^\S\n]+(?P<text>\S(?:.*\S)?)[^\S\n]*$", re.MULTILINE)
# How the caption and the description carry the value on; the next stage reads it back from these phrases.
_CAPTION_CARRIES = 'the quantity the question asks for comes out as "{value}"'
_DESCRIPTION_CARRIES = 'The value the question asks about is shown in the figure as "{value}".'
_CARRIED = re.compile(r'(?:comes out as|shown in the figure as) "(?P<value>[^"\n]+)"')
_FIRST_NUMBER = re.compile(r"\d+")
# What a teacher_palette description says it sees, and how the reasoner reads it back.
_SEEN_PHRASE = "Looking at the image, its colour is"
_SEEN = re.compile(re.escape(_SEEN_PHRASE) + r" (?P<colour>[a-z]+)\.")
# A claim quoted in a question: "Erin says the image is red." (teacher_shortcut_rate).
_CLAIM = re.compile(r"\b(?P<who>[A-Z][a-z]+) says (?:that )?(?:it|the [a-z ]+?) is (?P<claim>[A-Za-z0-9 ]+?)[.!]")
CONTEXT_LENGTH_ERROR = (
    "This model's maximum context length is 32768 tokens. However, you requested 40960 tokens (36864 in the "
    "messages, 4096 in the completion). Please reduce the length of the messages or completion."
)


@dataclass
class FakeServerConfig:
    latency: float = 0.0  # seconds each successful request sleeps before answering (overlaps across requests)
    fault_rate: float = 0.0  # probability that the first attempt of a given request body gets a fault
    faults: tuple[str, ...] = FAULT_KINDS  # kinds drawn uniformly when a fault fires
    retry_after: float = 0.05  # Retry-After sent with 429, in seconds (may be fractional)
    slow_seconds: float = 30.0  # how long a "slow" fault stalls; meant to exceed the client's timeout
    seed: int = 0
    reasoning_field: bool = True  # stage-3 reasoning in message.reasoning_content; False: inline <think>...</think>
    wrong_answer_every: int = 0  # if > 0, every Nth distinct arithmetic expression gets a wrong final answer
    models: tuple[str, ...] = ("fake-mllm", "fake-reasoner")  # listed by /v1/models; any model name is accepted
    # Teacher mode (module docstring): the bridge stages reason to the hinted gold answer, with planted failures.
    teacher: bool = False
    teacher_failed_rate: float = 0.0  # caption requests answered with a 400 (the prompt is over the context length)
    teacher_wrong_rate: float = 0.0  # reasoning requests that answer a misread value
    teacher_truncated_rate: float = 0.0  # reasoning requests cut off at the token limit
    # Reasoning requests whose question quotes someone's claim ("Erin says the image is red.") that answer with the
    # claim instead of the carried value: right only when the claim is (what the bridge's answer check lets through).
    teacher_shortcut_rate: float = 0.0
    teacher_brief: bool = False  # one-sentence reasoning (a toy task's short answers) instead of a paragraph
    # The MLLM's "vision" for colour patches: its description names the palette colour nearest to each image's
    # mean colour, and a brief reasoner that does not take the shortcut answers that colour (which the answer
    # check then compares with the gold label).
    teacher_palette: dict[str, tuple[int, int, int]] | None = None
    # If > 0, every bridge-stage reply is padded to about this many characters with filler (module docstring).
    reply_chars: int = 0

    def __post_init__(self) -> None:
        self.faults = tuple(self.faults)
        self.models = tuple(self.models)
        unknown = [kind for kind in self.faults if kind not in FAULT_KINDS]
        if unknown:
            raise ValueError(f"unknown fault kinds {unknown}; choose from {FAULT_KINDS}")
        if not 0.0 <= self.fault_rate <= 1.0:
            raise ValueError(f"fault_rate must be in [0, 1], got {self.fault_rate}")
        if self.fault_rate > 0 and not self.faults:
            raise ValueError("fault_rate > 0 needs at least one fault kind")
        for name in ("latency", "retry_after", "slow_seconds"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0, got {getattr(self, name)}")
        if self.reply_chars < 0:
            raise ValueError(f"reply_chars must be >= 0, got {self.reply_chars}")
        if self.wrong_answer_every < 0:
            raise ValueError(f"wrong_answer_every must be >= 0, got {self.wrong_answer_every}")
        for name in ("teacher_failed_rate", "teacher_wrong_rate", "teacher_truncated_rate", "teacher_shortcut_rate"):
            if not 0.0 <= getattr(self, name) <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)}")
        if self.teacher_wrong_rate + self.teacher_truncated_rate > 1.0:
            raise ValueError("teacher_wrong_rate + teacher_truncated_rate must be <= 1")


@dataclass
class _State:
    """Counters and per-body memory. Mutated on the server's loop, read from other threads via ``snapshot``."""

    requests: int = 0
    successes: int = 0
    bad_requests: int = 0
    cancelled: int = 0  # the client went away (e.g. timed out) before the answer was sent
    wrong_answers: int = 0
    planted: Counter[str] = field(default_factory=Counter)  # teacher mode: PLANTED_KINDS
    in_flight: int = 0
    max_in_flight: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    stages: Counter[str] = field(default_factory=Counter)
    # Keyed by a digest of the body, not the body itself: bodies carry base64 images and a benchmark sends many.
    attempts: dict[bytes, int] = field(default_factory=dict)
    questions: dict[str, int] = field(default_factory=dict)  # arithmetic expression -> order of first appearance
    lock: threading.Lock = field(default_factory=threading.Lock)

    def reset(self) -> None:
        """Zero everything but ``in_flight`` in place: running handlers still hold this object and decrement it."""
        with self.lock:
            self.requests = self.successes = self.bad_requests = self.cancelled = self.wrong_answers = 0
            self.max_in_flight = self.in_flight
            self.faults.clear()
            self.planted.clear()
            self.stages.clear()
            self.attempts.clear()
            self.questions.clear()

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            histogram = Counter(self.attempts.values())
            return {
                "requests": self.requests,
                "successes": self.successes,
                "bad_requests": self.bad_requests,
                "cancelled": self.cancelled,
                "wrong_answers": self.wrong_answers,
                "planted": {kind: self.planted[kind] for kind in PLANTED_KINDS},
                "in_flight": self.in_flight,
                "max_in_flight": self.max_in_flight,
                "faults": {kind: self.faults[kind] for kind in FAULT_KINDS},
                "faults_total": sum(self.faults.values()),
                "stages": {stage: self.stages[stage] for stage in (*STAGES, "other")},
                "attempts": {
                    "distinct_bodies": len(self.attempts),
                    "retried_bodies": sum(count for attempts, count in histogram.items() if attempts > 1),
                    "max_attempts": max(histogram, default=0),
                    "total": sum(self.attempts.values()),
                    # JSON object keys are strings; keep them so the in-process and HTTP views are identical.
                    "histogram": {str(attempts): histogram[attempts] for attempts in sorted(histogram)},
                },
            }


def _error(status: int, message: str, error_type: str, code: str | None = None, **headers: str) -> web.Response:
    body = {"error": {"message": message, "type": error_type, "param": None, "code": code}}
    return web.json_response(body, status=status, headers=headers or None)


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            part["text"] for part in content if isinstance(part, dict) and isinstance(part.get("text"), str)
        )
    return ""


def _seen_colours(messages: list[Any], palette: dict[str, tuple[int, int, int]]) -> list[str]:
    """The palette colour nearest to each data-URL image's mean colour (teacher_palette's "vision")."""
    import base64
    import io

    from PIL import Image, ImageStat

    names = []
    for message in messages:
        if not (isinstance(message, dict) and isinstance(message.get("content"), list)):
            continue
        for part in message["content"]:
            url = (part.get("image_url") or {}).get("url", "") if isinstance(part, dict) else ""
            if not url.startswith("data:") or "," not in url:
                continue
            image = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGB")
            mean = ImageStat.Stat(image).mean
            names.append(
                min(palette, key=lambda name: sum((a - b) ** 2 for a, b in zip(mean, palette[name], strict=True)))
            )
    return names


def _count_images(messages: list[Any]) -> int:
    # Counting parts is all the "vision" needed; decoding the base64 would only burn CPU a benchmark should not pay.
    return sum(
        1
        for message in messages
        if isinstance(message, dict) and isinstance(message.get("content"), list)
        for part in message["content"]
        if isinstance(part, dict) and part.get("type") in _IMAGE_PART_TYPES
    )


def _last_user_text(messages: list[Any]) -> str:
    for message in reversed(messages):
        if isinstance(message, dict) and message.get("role") == "user":
            return _text_of(message.get("content"))
    return ""


def _stage_of(request: web.Request) -> str:
    """The bridge stage named by the request's header; "other" (a plain question) when absent or unknown."""
    value = request.headers.get(TAG_HEADER, "").strip()
    return value if value in STAGES else "other"


@dataclass(frozen=True)
class _Problem:
    """An integer expression ``a op b`` found in a prompt: all the fake "model" can see or solve."""

    a: int
    op: str
    b: int

    @classmethod
    def find(cls, text: str) -> _Problem | None:
        """The first integer expression anywhere in ``text``, whatever the words around it."""
        match = _ARITHMETIC.search(text)
        if match is None:
            return None
        return cls(int(match.group(1)), match.group(2) or match.group(3), int(match.group(4)))

    @property
    def expression(self) -> str:
        # Written back in a form _ARITHMETIC reads again, so a later stage finds the same expression.
        return f"{self.a} {self.op} {self.b}"

    @property
    def value(self) -> int:
        return self.a + self.b if self.op == "+" else self.a - self.b if self.op == "-" else self.a * self.b


class _Taught(NamedTuple):
    """A teacher-mode reply: its reasoning (the reasoning stage only), content, whether its final answer is
    deliberately wrong, and whether it is cut off at the token limit."""

    reasoning: str | None
    content: str
    wrong: bool = False
    cut: bool = False


# Filler for reply_chars. A sentence draws six slots, and its fixed runs are short (an opener or a closer is at most
# five words), so every 12-word phrase spans at least three drawn slots: even a reply padded to the bridge's
# 60,000-character limit keeps clear of its repetition rule (a 12-word phrase seen more than 6 times). No word here
# is one the bridge or this server reads: no digits, operators, quotes, "description", "answer" or refusals.
_FILLER_OPENERS = (
    "On a closer look,",
    "To be thorough,",
    "Before moving on,",
    "As a further check,",
    "Along the lower edge,",
    "Near the upper margin,",
    "At the centre,",
    "Turning to the labels,",
    "Comparing the shapes,",
    "Looking again,",
    "From left to right,",
    "Once more,",
    "In the same figure,",
    "Further down,",
    "Higher up,",
    "Next,",
)
_FILLER_SUBJECTS = (
    "the thin outline",
    "the shaded region",
    "the left label",
    "the right label",
    "the small square",
    "the dashed segment",
    "the grid line",
    "the caption text",
    "the marked corner",
    "the nearest edge",
    "the printed symbol",
    "the white background",
    "the second shape",
    "the longest side",
)
_FILLER_ADVERBS = ("clearly", "neatly", "roughly", "visibly", "plainly", "just", "still", "also")
_FILLER_VERBS = (
    "lines up with",
    "stays clear of",
    "sits above",
    "runs parallel to",
    "matches the style of",
    "is thinner than",
    "points toward",
    "is printed close to",
    "keeps apart from",
    "repeats the colour of",
    "frames",
    "overlaps with",
)
_FILLER_OBJECTS = (
    "the outer border",
    "the central mark",
    "the upper heading",
    "the bottom scale",
    "the coloured block",
    "the lightest area",
    "the first symbol",
    "the corner tick",
    "the faint guide",
    "the boxed region",
    "the sloped line",
    "the narrow strip",
)
_FILLER_CLOSERS = (
    "which fits the picture.",
    "and nothing else changes.",
    "so the reading holds.",
    "as one would expect.",
    "and the spacing looks even.",
    "so no step is missing.",
    "which keeps things consistent.",
    "and the proportions look natural.",
    "which agrees with the question.",
    "which is easy to confirm.",
    "as drawn in the figure.",
    "with a clear gap between.",
)
# A reply's last sentence: the filler goes before it so a conclusion or a closing line stays last.
_LAST_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z][^.!?]*[.!?]?\s*$)")


def _filler_sentence(rng: random.Random) -> str:
    return (
        f"{rng.choice(_FILLER_OPENERS)} {rng.choice(_FILLER_SUBJECTS)} {rng.choice(_FILLER_ADVERBS)} "
        f"{rng.choice(_FILLER_VERBS)} {rng.choice(_FILLER_OBJECTS)}, {rng.choice(_FILLER_CLOSERS)}"
    )


def pad_reply(text: str, chars: int, salt: str = "") -> str:
    """``text`` padded to about ``chars`` characters (never shorter than it was) with filler sentences inserted
    before its last sentence, in paragraphs of a few sentences. Deterministic: the same text and salt give the
    same padding.

    >>> len(pad_reply("It is red. So the final answer is red.", 400)) >= 400
    True
    """
    if len(text) >= chars:
        return text
    rng = random.Random(hashlib.blake2b(f"{salt}:{text}".encode(), digest_size=8).digest())
    split = _LAST_SENTENCE.search(text)
    head, tail = (text[: split.start()], text[split.end() :]) if split else (text, "")
    paragraphs: list[str] = []
    sentences: list[str] = []
    length = len(text) + 2
    while length < chars:
        sentence = _filler_sentence(rng)
        sentences.append(sentence)
        length += len(sentence) + 1
        if len(sentences) == 5:
            paragraphs.append(" ".join(sentences))
            sentences = []
            length += 1
    if sentences:
        paragraphs.append(" ".join(sentences))
    return "\n\n".join(part for part in (head, *paragraphs, tail) if part)


def _one_line(text: str, limit: int = 400) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


def _tokens(text: str) -> int:
    # Whitespace words stand in for tokens: usage only has to be plausible and deterministic.
    return len(text.split())


def _truncate(text: str, budget: int) -> str:
    """The first ``budget`` words of ``text``, keeping its original spacing and line breaks."""
    if budget <= 0:
        return ""
    for index, word in enumerate(re.finditer(r"\S+", text), start=1):
        if index == budget:
            return text[: word.end()]
    return text


class _FakeModel:
    """The chat-completions app: routing, fault injection and the canned "model"."""

    def __init__(self, config: FakeServerConfig) -> None:
        self.config = config
        self.state = _State()
        self._ids = 0

    def app(self) -> web.Application:
        app = web.Application(client_max_size=CLIENT_MAX_SIZE)
        app.router.add_post("/v1/chat/completions", self.chat_completions)
        app.router.add_get("/v1/models", self.list_models)
        app.router.add_get("/stats", self.stats)
        app.router.add_post("/stats/reset", self.reset_stats)
        app.router.add_get("/health", self.health)
        return app

    async def list_models(self, request: web.Request) -> web.Response:
        created = int(time.time())
        data = [{"id": name, "object": "model", "created": created, "owned_by": "fake"} for name in self.config.models]
        return web.json_response({"object": "list", "data": data})

    async def stats(self, request: web.Request) -> web.Response:
        return web.json_response(self.state.snapshot())

    async def reset_stats(self, request: web.Request) -> web.Response:
        self.state.reset()
        return web.json_response(self.state.snapshot())

    async def health(self, request: web.Request) -> web.Response:
        return web.Response(status=200)

    async def chat_completions(self, request: web.Request) -> web.StreamResponse:
        state = self.state
        with state.lock:
            state.requests += 1
            state.in_flight += 1
            state.max_in_flight = max(state.max_in_flight, state.in_flight)
        try:
            return await self._chat_completions(request)
        except asyncio.CancelledError:
            # aiohttp cancels the handler when the client disconnects (handler_cancellation=True).
            with state.lock:
                state.cancelled += 1
            raise
        finally:
            with state.lock:
                state.in_flight -= 1

    async def _chat_completions(self, request: web.Request) -> web.StreamResponse:
        state = self.state
        raw = await request.read()
        digest = hashlib.blake2b(raw, digest_size=16).digest()
        with state.lock:
            attempt = state.attempts.get(digest, 0) + 1
            state.attempts[digest] = attempt

        try:
            body = json.loads(raw)
        except ValueError as error:
            return self._bad_request(state, f"request body is not valid JSON: {error}")
        if not isinstance(body, dict):
            return self._bad_request(state, "request body must be a JSON object")
        model = body.get("model")
        messages = body.get("messages")
        if not isinstance(model, str) or not model:
            return self._bad_request(state, "missing required parameter: 'model'", param="model")
        if not isinstance(messages, list) or not messages:
            return self._bad_request(state, "missing required parameter: 'messages'", param="messages")
        text = _last_user_text(messages)
        if BAD_REQUEST_MARKER in text:
            return self._bad_request(state, f"request rejected because it contains {BAD_REQUEST_MARKER}")

        fault = self._fault_for(raw, attempt)
        if fault is not None:
            with state.lock:
                state.faults[fault] += 1
            if fault == "429":
                return _error(
                    429,
                    "Rate limit reached for requests (injected by the fake server).",
                    "requests",
                    "rate_limit_exceeded",
                    **{
                        "Retry-After": f"{self.config.retry_after:g}",
                        "retry-after-ms": str(round(self.config.retry_after * 1000)),
                    },
                )
            if fault == "500":
                return _error(500, "The server had an error (injected by the fake server).", "server_error")
            if fault == "drop":
                # Closing the transport before anything is written is what a crashed worker or a reset proxy looks
                # like to the client. aiohttp then finds the transport closed and silently skips writing the
                # response we return, whereas raising from the handler would log a traceback for every drop.
                if request.transport is not None:
                    request.transport.close()
                return web.Response(status=200)
            if fault == "slow":
                await asyncio.sleep(self.config.slow_seconds)

        if self.config.latency > 0:
            await asyncio.sleep(self.config.latency)
        stage = _stage_of(request)
        if stage == "caption_cot" and self._teacher_draw(text, "failed") < self.config.teacher_failed_rate:
            with state.lock:
                state.planted["failed"] += 1
            return self._bad_request(state, CONTEXT_LENGTH_ERROR, param="messages")
        completion, wrong = self._completion(body, messages, text, stage)
        if fault == "malformed":
            # A body cut off mid-stream: right status and content type, but not parseable.
            encoded = json.dumps(completion).encode()
            return web.Response(status=200, body=encoded[: len(encoded) // 2], content_type="application/json")
        with state.lock:
            state.successes += 1
            state.stages[stage] += 1
            state.wrong_answers += int(wrong)
        if body.get("stream"):
            return await self._stream(request, completion)
        return web.json_response(completion)

    async def _stream(self, request: web.Request, completion: dict[str, Any]) -> web.StreamResponse:
        """The completion as server-sent events, a few words per chunk, as vLLM streams: reasoning deltas first
        (``reasoning_content``), then content deltas, then ``[DONE]``."""
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        message = completion["choices"][0]["message"]
        for field_name in ("reasoning_content", "content"):
            words = (message.get(field_name) or "").split(" ")
            for start in range(0, len(words), 4):
                piece = " ".join(words[start : start + 4]) + (" " if start + 4 < len(words) else "")
                chunk = {
                    "id": completion["id"],
                    "object": "chat.completion.chunk",
                    "model": completion["model"],
                    "choices": [{"index": 0, "delta": {field_name: piece}, "finish_reason": None}],
                }
                await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
        await response.write(b"data: [DONE]\n\n")
        await response.write_eof()
        return response

    def _bad_request(self, state: _State, message: str, param: str | None = None) -> web.Response:
        with state.lock:
            state.bad_requests += 1
        body = {"error": {"message": message, "type": "invalid_request_error", "param": param, "code": None}}
        return web.json_response(body, status=400)

    def _fault_for(self, raw: bytes, attempt: int) -> str | None:
        # Only first attempts fault, so every retrying client eventually succeeds; hashing (seed, body, attempt)
        # makes the choice independent of arrival order and concurrency.
        if attempt != 1 or self.config.fault_rate <= 0:
            return None
        hasher = hashlib.blake2b(f"{self.config.seed}:{attempt}:".encode(), digest_size=16)
        hasher.update(raw)
        digest = hasher.digest()
        draw = int.from_bytes(digest[:8], "big") / 2**64
        if draw >= self.config.fault_rate:
            return None
        return self.config.faults[int.from_bytes(digest[8:], "big") % len(self.config.faults)]

    # ---- the "model" -------------------------------------------------------------------------------------------

    def _completion(
        self, body: dict[str, Any], messages: list[Any], text: str, stage: str
    ) -> tuple[dict[str, Any], bool]:
        """The completion JSON for ``stage`` ("other": a plain question), and whether its final answer is
        deliberately wrong. ``text`` is the last user message's text, read for an expression and nothing else."""
        problem = _Problem.find(text)
        reasoning: str | None = None
        wrong = False
        taught = self._teach(stage, text, messages) if self.config.teacher else None
        cut = False
        if taught is not None:
            reasoning, content, wrong, cut = taught
            if reasoning is not None and not self.config.reasoning_field:
                content = f"<think>\n{reasoning}" if cut else self._format_answer(reasoning, content)
        elif stage == "caption_cot":
            content = self._caption_cot(problem, _count_images(messages))
        elif stage == "description":
            content = self._description(problem)
        elif stage == "reasoning":
            reasoning, content, wrong = self._reasoning(problem)
        elif problem is not None:
            # A plain question (inference, evaluation): answer as a Vision-R1 model does, think then answer tags.
            thought, answer, wrong = self._reasoning(problem)
            value = answer[answer.rfind("{") + 1 : answer.rfind("}")] if "\\boxed{" in answer else answer
            content = f"<think>\n{thought}\n</think>\n<answer> Final Answer: {value} </answer>"
        else:
            content = f"This is a fake answer to: {_one_line(text, 80)}"

        if self.config.reply_chars > 0 and stage in STAGES:
            # Padded before the token budget applies, as a long generation would be cut.
            if reasoning is not None:
                padded = pad_reply(reasoning, self.config.reply_chars, f"{self.config.seed}:{stage}")
                if not self.config.reasoning_field:
                    content = content.replace(reasoning, padded, 1)
                reasoning = padded
            else:
                content = pad_reply(content, self.config.reply_chars, f"{self.config.seed}:{stage}")

        finish_reason = "stop"
        budget = body.get("max_completion_tokens") or body.get("max_tokens")
        if cut:
            finish_reason = "length"  # a planted cut-off: the reasoning stops mid-way, no answer written
        elif isinstance(budget, int) and budget >= 0 and _tokens(reasoning or "") + _tokens(content) > budget:
            # Mimic a generation cut off by the token budget, as vLLM reports it.
            finish_reason = "length"
            if reasoning is not None and self.config.reasoning_field:
                content = _truncate(content, budget - _tokens(reasoning))
                reasoning = _truncate(reasoning, budget)
            else:
                content = _truncate(content, budget)
        message: dict[str, Any] = {"role": "assistant", "content": content}
        if reasoning is not None and self.config.reasoning_field:
            message["reasoning_content"] = reasoning

        prompt_tokens = sum(_tokens(_text_of(m.get("content"))) for m in messages if isinstance(m, dict))
        completion_tokens = _tokens(content) + _tokens(message.get("reasoning_content") or "")
        self._ids += 1
        completion = {
            "id": f"chatcmpl-fake-{self._ids:08d}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": body["model"],
            "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": finish_reason}],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }
        return completion, wrong

    def _caption_cot(self, problem: _Problem | None, images: int) -> str:
        # No answer hint is read (the prompt's wording is unknown), so the pseudo-CoT stops short of the answer.
        shows = f" The figure shows the expression {problem.expression}." if problem else ""
        return (
            f"Caption: the image shows a figure for the question.{shows} The request carried {images} image(s).\n"
            "Reasoning: The figure shows every quantity the question refers to, so I read them off the image and "
            "combine them step by step."
        )

    def _description(self, problem: _Problem | None) -> str:
        shows = f" The figure shows the expression {problem.expression}." if problem else ""
        return (
            f"The image is a clean, well-lit figure drawn for the question.{shows} "
            "Every object, label and number that the question refers to is clearly visible, and the values appear "
            "in the figure exactly as the question states them. The elements are arranged left to right with "
            "plain black text on a white background, and nothing in the image contradicts the question. "
            f"{DESCRIPTION_END}"
        )

    def _reasoning(self, problem: _Problem | None) -> tuple[str, str, bool]:
        if problem is None:
            reasoning = (
                "From the description, the image shows a figure, but the question contains no computation I can "
                "carry out. Wait, let me double-check the question once more. It still gives no numbers to combine."
            )
            return reasoning, self._format_answer(reasoning, REFUSAL), False
        expression = problem.expression
        wrong = self._answers_wrong(expression)
        value = problem.value + 1 if wrong else problem.value
        reasoning = (
            f"From the description, the figure shows the expression {expression}, and the question asks for its "
            f"value. The quantity to find is {expression}. Computing it step by step gives {value}. "
            f"Wait, let me double-check that by redoing the computation: {expression} = {value}. "
            f"The result is consistent, so the final answer is {value}."
        )
        return reasoning, self._format_answer(reasoning, f"The answer is \\boxed{{{value}}}."), wrong

    # ---- teacher mode --------------------------------------------------------------------------------------------

    def _teacher_draw(self, text: str, salt: str) -> float:
        """A number in [0, 1) fixed by the seed and the prompt text: which samples get a planted failure."""
        if not self.config.teacher:
            return 1.0
        digest = hashlib.blake2b(f"{self.config.seed}:teacher:{salt}:{text}".encode(), digest_size=8).digest()
        return int.from_bytes(digest, "big") / 2**64

    def _teach(self, stage: str, text: str, messages: list[Any]) -> _Taught | None:
        """A bridge stage's reply in teacher mode; None to fall back to the arithmetic model."""
        images = _count_images(messages)
        if stage == "caption_cot":
            hints = list(_HINT.finditer(text))
            answer = hints[-1].group("answer").rstrip(".").strip() if hints else ""  # "... is 15." -> 15
            if not answer:
                return None
            options = {match.group("letter"): match.group("text") for match in _OPTION.finditer(text)}
            value = options.get(answer, answer)  # a hinted letter is carried as its option's text
            caption = (
                f"Caption: The image is a figure drawn for the question ({images} image(s)): its shapes, labels "
                "and numbers are printed in black on a white background.\nReasoning: Reading the labels in the "
                f"figure step by step, {_CAPTION_CARRIES.format(value=value)}, which agrees with the hint."
            )
            return _Taught(None, caption)
        carried = [match.group("value") for match in _CARRIED.finditer(text)]
        if stage not in ("description", "reasoning") or not carried:
            return None
        if stage == "description":
            description = (
                "The image is a clean, well-lit figure drawn for the question. Every object, label and number that "
                f"the question refers to is clearly visible. {_DESCRIPTION_CARRIES.format(value=carried[-1])} The "
                "elements are arranged left to right with plain black text on a white background, and nothing in "
                f"the image contradicts the question. {DESCRIPTION_END}"
            )
            if self.config.teacher_palette:
                seen = ", ".join(_seen_colours(messages, self.config.teacher_palette)) or "unclear"
                description = f"{_SEEN_PHRASE} {seen}. {description}"
            return _Taught(None, description)
        return self._teacher_reasoning(text, carried[-1])

    def _teacher_reasoning(self, text: str, value: str) -> _Taught:
        claim = _CLAIM.search(text)
        if claim and self._teacher_draw(text, "shortcut") < self.config.teacher_shortcut_rate:
            said = claim.group("claim")
            with self.state.lock:
                self.state.planted["shortcut"] += 1
                self.state.planted["shortcut_wrong"] += int(said != value)
            reasoning = (
                f"The text says it is {said}, so it is {said}."
                if self.config.teacher_brief
                else f"The question says that {claim.group('who')} reports {said}; I take that as given, so the "
                f"answer is {said}."
            )
            return _Taught(reasoning, f"The answer is \\boxed{{{said}}}.", wrong=said != value)
        if self.config.teacher_brief:
            seen = _SEEN.search(text)
            read = seen.group("colour") if seen else value
            return _Taught(
                f"I look at the image: it is {read}.", f"The answer is \\boxed{{{read}}}.", wrong=read != value
            )
        options = {match.group("text"): match.group("letter") for match in _OPTION.finditer(text)}
        draw = self._teacher_draw(text, "reasoning")
        wrong = draw < self.config.teacher_wrong_rate
        truncated = not wrong and draw < self.config.teacher_wrong_rate + self.config.teacher_truncated_rate
        read = value
        if wrong:
            read = _misread(value, options)
            wrong = read is not None
            read = read or value
        letter = options.get(read)
        choice = f" Among the choices, option ({letter}) is {read}, so I pick {letter}." if letter else ""
        final = letter or read
        reasoning = (
            f"From the description, the figure shows every quantity the question refers to, and the value it asks "
            f"about is marked as {read}. First I match what the question asks for with the labels in the figure: "
            f"the figure marks that quantity directly, so no further construction is needed, and reading it off "
            f"gives {read}. Wait, let me double-check by reading the question once more: it asks for exactly this "
            f"quantity, and {read} is consistent with the other labels in the figure.{choice} So the final answer "
            f"is {final}."
        )
        if truncated:
            with self.state.lock:
                self.state.planted["truncated"] += 1
            return _Taught(_truncate(reasoning, _tokens(reasoning) // 2), "", cut=True)
        if wrong:
            with self.state.lock:
                self.state.planted["wrong"] += 1
        return _Taught(reasoning, f"The answer is \\boxed{{{final}}}.", wrong=wrong)

    def _answers_wrong(self, expression: str) -> bool:
        every = self.config.wrong_answer_every
        if every <= 0:
            return False
        with self.state.lock:
            # Ordinal by first appearance of the expression, not the prompt: a retried or repeated question keeps
            # the answer it got first, however it was worded and whichever stage or plain request asked it.
            ordinal = self.state.questions.setdefault(expression, len(self.state.questions) + 1)
        return ordinal % every == 0

    def _format_answer(self, reasoning: str, answer: str) -> str:
        return answer if self.config.reasoning_field else f"<think>\n{reasoning}\n</think>\n\n{answer}"


def _misread(value: str, options: dict[str, str]) -> str | None:
    """A wrong value a reasoner plausibly reads: another option, or the first number off by one; None if neither."""
    if value in options:
        others = [text for text in options if text != value]
        return others[0] if others else None
    number = _FIRST_NUMBER.search(value)
    if number is None:
        return None
    return value[: number.start()] + str(int(number.group()) + 1) + value[number.end() :]


def _runner(model: _FakeModel) -> web.AppRunner:
    # handler_cancellation: a client that times out aborts its request, as vLLM does, so a "slow" fault does not
    # keep a handler (and server shutdown) waiting for slow_seconds.
    # A short shutdown_timeout keeps stop() quick when requests are still sleeping.
    return web.AppRunner(
        model.app(), handle_signals=False, access_log=None, handler_cancellation=True, shutdown_timeout=0.5
    )


def _site(runner: web.AppRunner, host: str, port: int) -> web.TCPSite:
    # A large backlog lets a benchmark open hundreds of connections at once.
    return web.TCPSite(runner, host, port, backlog=1024)


class FakeServer:
    """Runs the fake server on its own event loop in a background thread (for pytest and benchmarks)."""

    def __init__(self, config: FakeServerConfig | None = None, host: str = "127.0.0.1", port: int = 0) -> None:
        self.config = config or FakeServerConfig()
        self.host = host
        self.port = port
        self._model = _FakeModel(self.config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        if self._thread is None:
            raise RuntimeError("FakeServer is not started")
        return f"http://{self.host}:{self.port}/v1"

    def start(self) -> FakeServer:
        if self._thread is not None:
            raise RuntimeError("FakeServer is already started")
        ready = threading.Event()
        failure: list[BaseException] = []
        loop = asyncio.new_event_loop()

        async def serve() -> None:
            runner = _runner(self._model)
            await runner.setup()
            site = _site(runner, self.host, self.port)
            await site.start()
            self._runner = runner
            self.port = runner.addresses[0][1]

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(serve())
            except BaseException as error:  # handed to start(), which re-raises it in the caller's thread
                failure.append(error)
                ready.set()
                loop.close()
                return
            ready.set()
            loop.run_forever()
            loop.close()

        self._loop = loop
        self._thread = threading.Thread(target=run, name="fake-openai-server", daemon=True)
        self._thread.start()
        ready.wait()
        if failure:
            self._thread.join()
            self._thread = self._loop = None
            raise failure[0]
        return self

    def stop(self) -> None:
        if self._thread is None or self._loop is None:
            return
        loop, thread, runner = self._loop, self._thread, self._runner
        if runner is not None:
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        self._thread = self._loop = self._runner = None

    def stats(self) -> dict[str, Any]:
        return self._model.state.snapshot()

    def reset_stats(self) -> None:
        """Zero the counters and forget seen bodies and questions, as if the server had just started.

        Forgetting bodies means a body sent again is a first attempt again (and may fault again).
        """
        self._model.state.reset()

    def __enter__(self) -> FakeServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


def _parse_args(argv: list[str] | None) -> tuple[FakeServerConfig, str, int]:
    defaults = FakeServerConfig()
    parser = argparse.ArgumentParser(
        prog="python -m vision_r1_plugins.testing.fake_server",
        description="A fake OpenAI-compatible chat-completions server with injectable latency and faults.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    parser.add_argument("--latency", type=float, default=defaults.latency)
    parser.add_argument("--fault-rate", type=float, default=defaults.fault_rate)
    parser.add_argument(
        "--faults", default=",".join(defaults.faults), help="comma-separated subset of " + ",".join(FAULT_KINDS)
    )
    parser.add_argument("--retry-after", type=float, default=defaults.retry_after)
    parser.add_argument("--slow-seconds", type=float, default=defaults.slow_seconds)
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--inline-think", action="store_true", help="put stage-3 reasoning inline in <think> tags")
    parser.add_argument("--wrong-answer-every", type=int, default=defaults.wrong_answer_every)
    parser.add_argument("--models", default=",".join(defaults.models), help="comma-separated names for /v1/models")
    parser.add_argument("--teacher", action="store_true", help="answer bridge stages to the hinted gold answer")
    parser.add_argument("--teacher-failed-rate", type=float, default=defaults.teacher_failed_rate)
    parser.add_argument("--teacher-wrong-rate", type=float, default=defaults.teacher_wrong_rate)
    parser.add_argument("--teacher-truncated-rate", type=float, default=defaults.teacher_truncated_rate)
    parser.add_argument(
        "--reply-chars",
        type=int,
        default=defaults.reply_chars,
        help="pad every bridge-stage reply to about this many characters (0: the short canned replies)",
    )
    args = parser.parse_args(argv)
    try:
        config = FakeServerConfig(
            latency=args.latency,
            fault_rate=args.fault_rate,
            faults=tuple(kind.strip() for kind in args.faults.split(",") if kind.strip()),
            retry_after=args.retry_after,
            slow_seconds=args.slow_seconds,
            seed=args.seed,
            reasoning_field=not args.inline_think,
            wrong_answer_every=args.wrong_answer_every,
            models=tuple(name.strip() for name in args.models.split(",") if name.strip()),
            teacher=args.teacher,
            teacher_failed_rate=args.teacher_failed_rate,
            teacher_wrong_rate=args.teacher_wrong_rate,
            teacher_truncated_rate=args.teacher_truncated_rate,
            reply_chars=args.reply_chars,
        )
    except ValueError as error:
        parser.error(str(error))
    return config, args.host, args.port


async def _serve_forever(config: FakeServerConfig, host: str, port: int) -> None:
    runner = _runner(_FakeModel(config))
    await runner.setup()
    await _site(runner, host, port).start()
    bound_port = runner.addresses[0][1]
    print(f"http://{host}:{bound_port}/v1", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await stop.wait()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    config, host, port = _parse_args(argv)
    asyncio.run(_serve_forever(config, host, port))


if __name__ == "__main__":
    main()
