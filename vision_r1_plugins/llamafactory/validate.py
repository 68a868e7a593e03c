"""Validate a registered LLaMA-Factory dataset before a long run: ``vision-r1 lf validate``.

The promise: the clean copy trains. LLaMA-Factory aborts the whole preprocessing on one row whose ``<image>``,
``<video>`` or ``<audio>`` count differs from its media, on an image it cannot open or decode, and on a turn whose
role maps to none it expects; pyarrow refuses the whole file when a column changes type; a template special token
written in the text (``<|image_pad|>``) crashes the collator when that batch is drawn; ``cutoff_len`` truncation
through expanded image tokens crashes at forward time. This pass finds every such row up front and writes the
rest, with absolute image paths, to a copy LLaMA-Factory loads from anywhere.

Rows are read by us (JSON array, JSONL, parquet) so that each bad row becomes a reject record with its reason
instead of an exception; everything about *how* a row becomes tokens is LLaMA-Factory's own: the dataset
attributes from ``dataset_info.json``, the chat template, the tokenizer, the processor's image sizing (see
:mod:`.images` for how images are checked without decoding most of them). Any error while checking a row makes
that row ``invalid_row`` with the error as its detail; a worker process that dies has the rows it held counted as
``invalid_row`` and the run exits non-zero. The summary is written in every case, kept + rejected = total.

The model path, the dataset's registration and its files are checked before any worker starts
(:func:`check_inputs`); a model folder LLaMA-Factory cannot load fails with its reason, not a broken pool. A run
that keeps nothing, that lost a worker, or (``strict``) that rejects anything fails in :func:`check_outcome`.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter, deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vision_r1_plugins.core import rows as row_files
from vision_r1_plugins.core.accounting import CountedRows, RowAccount, Verdict
from vision_r1_plugins.core.errors import RunError, UsageError
from vision_r1_plugins.generation.types import check_local_model
from vision_r1_plugins.llamafactory.columns import ColumnShapes
from vision_r1_plugins.llamafactory.images import Reject, image_size, image_tokens, lf_resized_size

__all__ = [
    "FIXES",
    "REASONS",
    "WARNINGS",
    "RowChecker",
    "ValidateConfig",
    "ValidationError",
    "ValidationReport",
    "check_inputs",
    "check_outcome",
    "count_rows",
    "dataset_attr",
    "lf_resized_size",
    "validate_dataset",
]

REASONS = (
    "invalid_row",
    "bad_role_order",
    "empty_turn",
    "special_token_in_text",
    "image_count_mismatch",
    "video_count_mismatch",
    "audio_count_mismatch",
    "image_in_answer",
    "column_type_mismatch",
    "missing_image",
    "undecodable_image",
    "over_cutoff_len",
)
# Kept rows that deserve a look: counted in the report, never rejected.
WARNINGS = {
    "image_in_answer": "kept with <image> in an assistant turn (--allow-image-in-answer): its image tokens are trained "
    "as labels",
    "image_from_current_dir": "an image path found only from the current folder, not from media_dir: written "
    "absolute in the clean copy",
}
# What to change when every row is rejected for one reason.
FIXES = {
    "invalid_row": "check the dataset's columns and tags in dataset_info.json against its rows",
    "bad_role_order": "check role_tag, user_tag and assistant_tag in dataset_info.json (every turn needs a role)",
    "empty_turn": "drop or fill the empty turns",
    "special_token_in_text": "remove the chat template's special tokens from the text; LLaMA-Factory adds them",
    "image_count_mismatch": "give each <image> placeholder one image",
    "video_count_mismatch": "remove the <video> placeholders (the validator checks image datasets)",
    "audio_count_mismatch": "remove the <audio> placeholders (the validator checks image datasets)",
    "image_in_answer": "move <image> into a user turn, or keep such rows with --allow-image-in-answer",
    "column_type_mismatch": "give each column one type in every row",
    "missing_image": "relative image paths resolve against --media-dir (default --dataset-dir)",
    "undecodable_image": "replace the broken image files",
    "over_cutoff_len": "raise --cutoff-len (and the recipe's cutoff_len) or lower --image-max-pixels",
}
SUPPORTED_SUFFIXES = (".json", ".jsonl", ".parquet")
MAX_WORKER_DEATHS = 10  # then the rest is not checked (and counted invalid_row): something kills every worker


class ValidationError(UsageError):
    """The dataset cannot be validated at all (unknown name, unsupported file type, bad settings)."""


@dataclass(frozen=True)
class ValidateConfig:
    """A registered dataset (``dataset_dir`` with ``dataset_info.json``, entry ``dataset``) and the training settings
    it is checked against: the model (tokenizer and processor), ``cutoff_len``, the chat template and the image
    pixel limits, as in the SFT YAML.

    >>> config = ValidateConfig("data", "vision_r1_cold", "Qwen/Qwen2.5-VL-7B-Instruct", cutoff_len=4096)
    """

    dataset_dir: str
    dataset: str
    model: str
    cutoff_len: int
    template: str = "qwen2_vl"
    media_dir: str | None = None
    image_max_pixels: int = 768 * 768  # LLaMA-Factory's default
    image_min_pixels: int = 32 * 32
    num_workers: int = 2
    decode_images: bool = False  # decode every image fully (see .images for what that adds)
    allow_image_in_answer: bool = False
    chunk_rows: int = 128

    def __post_init__(self) -> None:
        if self.cutoff_len <= 0:
            raise ValidationError(f"cutoff_len must be > 0, got {self.cutoff_len}")
        if self.num_workers <= 0:
            raise ValidationError(f"num_workers must be > 0, got {self.num_workers}")
        if self.chunk_rows <= 0:
            raise ValidationError(f"chunk_rows must be > 0, got {self.chunk_rows}")


@dataclass
class RowResult:
    index: int
    reason: str | None  # None: the row is fine
    detail: str = ""
    tokens: int = 0
    image_tokens: int = 0
    row: Any = None  # the row to write out (image paths made absolute when kept)
    warnings: tuple[str, ...] = ()


@dataclass
class ValidationReport(CountedRows):
    """What :func:`validate_dataset` found: rows kept and rejected by reason (kept + rejected = total), token
    counts, warnings, and the files written with ``fix_dir``."""

    dataset: str
    rows: RowAccount = field(default_factory=RowAccount)  # total (input), kept, rejected by reason, first examples
    warnings: Counter[str] = field(default_factory=Counter)
    max_tokens: int = 0
    total_tokens: int = 0
    worker_failures: list[str] = field(default_factory=list)  # one line per worker process that died
    complete: bool = False  # every row was read and judged
    error: str = ""  # why the run stopped early, when it did
    clean_path: Path | None = None
    rejects_path: Path | None = None
    summary_path: Path | None = None

    @property
    def total(self) -> int:
        return self.rows.input

    @property
    def examples(self) -> dict[str, str]:
        """The first reject of each reason: reason -> ``row I: DETAIL``."""
        return {example.reason: f"{example.where}: {example.detail}" for example in self.rows.first_of_each_reason()}

    @property
    def mean_tokens(self) -> float:
        return self.total_tokens / self.kept if self.kept else 0.0

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.rows.to_dict(),
            "dataset": self.dataset,
            "total": self.total,
            "kept": self.kept,
            "rejected": dict(self.rejected),
            "warnings": dict(self.warnings),
            "max_tokens": self.max_tokens,
            "total_tokens": self.total_tokens,
            "examples": self.examples,
            "worker_failures": list(self.worker_failures),
            "complete": self.complete,
            "error": self.error,
            "clean_path": str(self.clean_path) if self.clean_path else None,
            "rejects_path": str(self.rejects_path) if self.rejects_path else None,
            "summary_path": str(self.summary_path) if self.summary_path else None,
        }


# ---------------------------------------------------------------------------------------------------------
# Reading


def dataset_attr(config: ValidateConfig) -> Any:
    from llamafactory.data.parser import get_dataset_list

    try:
        (attr,) = get_dataset_list([config.dataset], config.dataset_dir)
    except ValueError as error:
        raise ValidationError(f"{error} {_registered(config.dataset_dir)}") from error
    if attr.load_from != "file":
        raise ValidationError(f"{config.dataset} loads from {attr.load_from}; only local files can be validated")
    if attr.formatting != "sharegpt":
        raise ValidationError(f"{config.dataset} is {attr.formatting}; the validator handles sharegpt datasets")
    media = [name for name in ("videos", "audios") if getattr(attr, name)]
    if media:
        raise ValidationError(
            f"{config.dataset} registers {' and '.join(media)} columns; the validator checks image "
            "datasets (video and audio token counts need the media decoded)"
        )
    return attr


def _registered(dataset_dir: str) -> str:
    """The fix for a dataset name LLaMA-Factory does not find: the names that are registered, or the folder."""
    try:
        names = sorted(json.loads((Path(dataset_dir) / "dataset_info.json").read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return f"(is --dataset-dir {dataset_dir} the folder with dataset_info.json?)"
    return f"(registered: {', '.join(names[:20]) or 'nothing'}; fix --dataset, or vision-r1 lf register)"


def check_inputs(config: ValidateConfig) -> tuple[Any, list[Path]]:
    """Everything checkable before a worker starts: the model path, the dataset's entry and its files.
    Returns (dataset attributes, data files)."""
    check_local_model(config.model)
    attr = dataset_attr(config)
    return attr, data_files(config, attr)


def data_files(config: ValidateConfig, attr: Any) -> list[Path]:
    """The files LLaMA-Factory would read: ``dataset_dir/file_name``, or every file in that folder."""
    path = Path(config.dataset_dir) / attr.dataset_name
    files = sorted(p for p in path.iterdir() if p.is_file()) if path.is_dir() else [path]
    if not files or not files[0].exists():
        raise ValidationError(f"no data file at {path}")
    unsupported = [f.name for f in files if f.suffix not in SUPPORTED_SUFFIXES]
    if unsupported:
        raise ValidationError(f"unsupported file types {unsupported}; the validator reads {SUPPORTED_SUFFIXES}")
    return files


def count_rows(files: list[Path]) -> int:
    try:
        return sum(row_files.count_rows(path) for path in files)
    except row_files.InputError as error:
        raise ValidationError(str(error)) from error


def iter_rows(files: list[Path]) -> Iterator[Any]:
    """Rows in file order, through the shared reader: JSONL and parquet stream; a JSON array is parsed whole,
    as LLaMA-Factory does; a JSONL line that is not JSON is a :class:`~vision_r1_plugins.core.rows.BadRow`."""
    try:
        for path in files:
            yield from row_files.read_rows(path)
    except row_files.InputError as error:
        raise ValidationError(str(error)) from error


# ---------------------------------------------------------------------------------------------------------
# Checking one row (runs in worker processes)


def template_special_tokens(template: Any, tokenizer: Any) -> set[str]:
    """The tokens the template writes around turns (found by encoding a probe conversation), its stop words and
    the multimodal plugin's tokens: written in the text, each is tokenized as the real token. Other special
    tokens of the vocabulary (Qwen's grounding ``<|box_start|>``) stay allowed."""
    probe = [{"role": "user", "content": "q"}, {"role": "assistant", "content": "a"}]
    special_ids = set(tokenizer.all_special_ids)
    special_ids |= {index for index, token in tokenizer.added_tokens_decoder.items() if token.special}
    encoded = {
        index for source, target in template.encode_multiturn(tokenizer, probe, "s", None) for index in source + target
    }
    tokens = set(tokenizer.convert_ids_to_tokens(sorted(encoded & special_ids)))
    tokens |= set(template.stop_words)
    tokens |= {tokenizer.eos_token, tokenizer.pad_token, tokenizer.bos_token}
    plugin = template.mm_plugin
    names = ("image_token", "video_token", "audio_token", "vision_bos_token", "vision_eos_token")
    tokens |= {getattr(plugin, name, None) for name in names}
    return {token for token in tokens if isinstance(token, str) and token}


class RowChecker:
    """Everything needed to check rows, built once per worker process."""

    def __init__(self, config: ValidateConfig, attr: Any) -> None:
        from llamafactory.data.template import get_template_and_fix_tokenizer
        from llamafactory.extras.constants import AUDIO_PLACEHOLDER, IMAGE_PLACEHOLDER, VIDEO_PLACEHOLDER
        from llamafactory.hparams import DataArguments, ModelArguments
        from llamafactory.model import load_tokenizer

        self.config = config
        self.attr = attr
        model_args = ModelArguments(
            model_name_or_path=config.model,
            image_max_pixels=config.image_max_pixels,
            image_min_pixels=config.image_min_pixels,
        )
        loaded = load_tokenizer(model_args)
        self.tokenizer, self.processor = loaded["tokenizer"], loaded["processor"]
        data_args = DataArguments(
            template=config.template, dataset_dir=config.dataset_dir, cutoff_len=config.cutoff_len
        )
        self.template = get_template_and_fix_tokenizer(self.tokenizer, data_args)
        self.plugin = self.template.mm_plugin
        self.placeholder = IMAGE_PLACEHOLDER
        self.other_placeholders = {"video_count_mismatch": VIDEO_PLACEHOLDER, "audio_count_mismatch": AUDIO_PLACEHOLDER}
        self.special_tokens = template_special_tokens(self.template, self.tokenizer)
        self.special_pattern = re.compile("|".join(map(re.escape, sorted(self.special_tokens, key=len, reverse=True))))
        self.media_dir = config.media_dir or config.dataset_dir
        # LLaMA-Factory accepts a role when it equals one of these tags; a tag left out of the entry is None, and
        # a turn with no role would then match it and be mapped to "system", which the template refuses.
        self.user_roles = {attr.user_tag, attr.observation_tag} - {None}
        self.assistant_roles = {attr.assistant_tag, attr.function_tag} - {None}

    # -- structure
    def _messages(self, row: Any) -> tuple[str, list[dict[str, str]], list[Any]]:
        attr = self.attr
        if not isinstance(row, dict):
            raise Reject("invalid_row", f"row is {type(row).__name__}, not an object")
        messages = row.get(attr.messages)
        if not isinstance(messages, list) or not messages:
            raise Reject("invalid_row", f"column {attr.messages!r} is missing or not a non-empty list")
        if not all(isinstance(m, dict) and isinstance(m.get(attr.content_tag), str) for m in messages):
            raise Reject("invalid_row", f"every message needs a string {attr.content_tag!r}")
        system = row.get(attr.system) if attr.system else ""
        if attr.system_tag and messages[0].get(attr.role_tag) == attr.system_tag:
            system, messages = messages[0][attr.content_tag], messages[1:]
        if system is not None and not isinstance(system, str):
            raise Reject("invalid_row", f"the system prompt is {type(system).__name__}, not a string")
        for turn, message in enumerate(messages):
            allowed = self.user_roles if turn % 2 == 0 else self.assistant_roles
            role = message.get(attr.role_tag)
            if role is None or role not in allowed:
                wanted = "a user" if turn % 2 == 0 else "an assistant"
                has = f"has role {role!r}" if role is not None else f"has no {attr.role_tag!r}"
                raise Reject("bad_role_order", f"turn {turn} {has}, expected {wanted} turn")
        if len(messages) % 2:
            raise Reject("bad_role_order", f"{len(messages)} turns: the last user turn has no answer")
        for turn, message in enumerate(messages):
            if not message[attr.content_tag].strip():
                raise Reject("empty_turn", f"turn {turn} is empty")
        images = row.get(attr.images) if attr.images else None
        images = [] if images is None else images if isinstance(images, list) else [images]
        chat = [
            {"role": "user" if turn % 2 == 0 else "assistant", "content": m[attr.content_tag]}
            for turn, m in enumerate(messages)
        ]
        return system or "", chat, images

    def _check_text(self, system: str, chat: list[dict[str, str]], images: list[Any]) -> list[str]:
        """Special tokens and placeholder counts; returns the row's warnings."""
        for where, text in [("the system prompt", system)] + [(f"turn {t}", m["content"]) for t, m in enumerate(chat)]:
            found = self.special_pattern.search(text) if self.special_tokens else None
            if found:
                raise Reject(
                    "special_token_in_text", f"{where} contains the template's special token {found.group()!r}"
                )
        placeholders = sum(message["content"].count(self.placeholder) for message in chat)
        if placeholders != len(images):
            raise Reject(
                "image_count_mismatch", f"{placeholders} {self.placeholder} placeholders but {len(images)} images"
            )
        for reason, placeholder in self.other_placeholders.items():
            count = sum(message["content"].count(placeholder) for message in chat)
            if count:
                raise Reject(reason, f"{count} {placeholder} placeholders but the dataset has no such media")
        in_answers = [turn for turn, message in enumerate(chat) if turn % 2 and self.placeholder in message["content"]]
        if not in_answers:
            return []
        if not self.config.allow_image_in_answer:
            raise Reject(
                "image_in_answer",
                f"{self.placeholder} in assistant turn {in_answers[0]}: its image "
                "tokens would be trained as labels (--allow-image-in-answer keeps such rows)",
            )
        return ["image_in_answer"]

    # -- images
    def _resolve(self, image: Any) -> tuple[Any, bool]:
        """The path LLaMA-Factory opens (``media_dir/path`` when that is a file, else the path as given, from the
        current folder), made absolute; and whether only the current folder had it."""
        if not isinstance(image, str):
            return image, False
        joined = os.path.join(self.media_dir, image)
        if os.path.isfile(joined):
            return os.path.abspath(joined), False
        if os.path.isfile(image):
            return os.path.abspath(image), not os.path.isabs(image)
        return image, False

    def _image_tokens(self, image: Any) -> int:
        try:
            width, height = image_size(image, decode=self.config.decode_images)
            return image_tokens(width, height, self.processor)
        except Reject as problem:
            if problem.reason == "missing_image" and isinstance(image, str) and not os.path.isabs(image):
                raise Reject(
                    problem.reason, f"{problem} (relative paths resolve against {self.media_dir})"
                ) from problem
            raise

    # -- the whole row
    def check(self, index: int, row: Any) -> RowResult:
        if isinstance(row, row_files.BadRow):
            return RowResult(index, "invalid_row", row.detail, row=None)
        try:
            return self._check(index, row)
        except Reject as reject:
            return RowResult(index, reject.reason, str(reject), row=row)

    def _check(self, index: int, row: Any) -> RowResult:
        system, chat, images = self._messages(row)
        warnings = self._check_text(system, chat, images)
        resolved: list[Any] = []
        for image in images:
            path, from_current_dir = self._resolve(image)
            resolved.append(path)
            if from_current_dir and "image_from_current_dir" not in warnings:
                warnings.append("image_from_current_dir")
        counts = [self._image_tokens(image) for image in resolved]
        plugin = self.plugin
        remaining = iter(counts)
        for message in chat:
            parts = message["content"].split(self.placeholder)
            message["content"] = parts[0] + "".join(
                f"{plugin.vision_bos_token}{plugin.image_token * next(remaining)}{plugin.vision_eos_token}{part}"
                for part in parts[1:]
            )
        pairs = self.template.encode_multiturn(self.tokenizer, chat, system or None, None)
        tokens = sum(len(source) + len(target) for source, target in pairs) + int(bool(self.template.efficient_eos))
        image_tokens_total = sum(counts)
        if tokens > self.config.cutoff_len:
            return RowResult(
                index,
                "over_cutoff_len",
                f"{tokens} tokens ({image_tokens_total} for images) > cutoff_len {self.config.cutoff_len}",
                tokens,
                image_tokens_total,
                row,
            )
        kept_row = _with_images(row, self.attr.images, resolved) if images else row
        return RowResult(index, None, "", tokens, image_tokens_total, kept_row, tuple(warnings))


def _with_images(row: dict[str, Any], column: str, resolved: list[Any]) -> dict[str, Any]:
    """The clean copy lives elsewhere, so relative image paths become the absolute paths they resolved to."""
    original = row[column]
    return {**row, column: resolved if isinstance(original, list) else resolved[0]}


_checker: RowChecker | None = None
_init_error: str | None = None


def _init_worker(config: ValidateConfig, attr: Any) -> None:
    # An initializer that raises leaves only "BrokenProcessPool" in the parent; the reason is kept instead and
    # raised from the first chunk, where the pool sends it back.
    global _checker, _init_error
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    try:
        _checker = RowChecker(config, attr)
    except Exception as error:
        reasons = [
            f"{type(e).__name__}: {(str(e).strip().splitlines() or [''])[0]}"
            for e in (error, error.__cause__)
            if e is not None
        ]
        _init_error = (
            f"LLaMA-Factory could not load the tokenizer, processor or template {config.template!r} for "
            f"{config.model}: {'; '.join(reasons)}\n"
            "give --model the model folder used for training and --template its chat template"
        )


def _check_one(checker: RowChecker, index: int, row: Any) -> RowResult:
    try:
        return checker.check(index, row)
    except Exception as error:  # a row we could not judge is rejected with the reason, never the whole run
        return RowResult(index, "invalid_row", f"{type(error).__name__} while checking: {error}"[:500], row=row)


def _check_chunk(chunk: list[tuple[int, Any]]) -> list[RowResult]:
    if _init_error is not None:
        raise ValidationError(_init_error)
    assert _checker is not None
    return [_check_one(_checker, index, row) for index, row in chunk]


# ---------------------------------------------------------------------------------------------------------
# Driving


def _chunks(rows: Iterator[Any], size: int) -> Iterator[list[tuple[int, Any]]]:
    chunk: list[tuple[int, Any]] = []
    for index, row in enumerate(rows):
        chunk.append((index, row))
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _failed(chunk: list[tuple[int, Any]], detail: str) -> list[RowResult]:
    return [
        RowResult(index, "invalid_row", detail, row=None if isinstance(row, row_files.BadRow) else row)
        for index, row in chunk
    ]


def _span(chunk: list[tuple[int, Any]]) -> str:
    return f"rows {chunk[0][0]}-{chunk[-1][0]}"


class _Pool:
    """Worker processes that check chunks in order, a few in flight. When a worker dies, every chunk in flight
    is lost with the pool: those are checked again one at a time in a fresh pool, so that only the chunk that
    kills a worker again is counted as failed (``invalid_row``, with what happened)."""

    def __init__(self, config: ValidateConfig, attr: Any, deaths: list[str]) -> None:
        self.config, self.attr, self.deaths = config, attr, deaths
        self.window = 2 * config.num_workers
        self.executor = self._start()

    def _start(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self.config.num_workers, initializer=_init_worker, initargs=(self.config, self.attr))

    def _restart(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)
        self.executor = self._start()

    def close(self) -> None:
        self.executor.shutdown(wait=True, cancel_futures=True)

    def run(self, chunks: Iterator[list[tuple[int, Any]]]) -> Iterator[list[RowResult]]:
        pending: deque[tuple[list[tuple[int, Any]], Future[list[RowResult]]]] = deque()
        for chunk in chunks:
            if len(self.deaths) >= MAX_WORKER_DEATHS:
                yield _failed(
                    chunk,
                    f"not checked: {len(self.deaths)} worker processes died, the run stopped "
                    "checking (see worker_failures)",
                )
                continue
            pending.append((chunk, self.executor.submit(_check_chunk, chunk)))
            while len(pending) >= self.window:
                yield from self._collect(pending)
        while pending:
            yield from self._collect(pending)

    def _collect(
        self, pending: deque[tuple[list[tuple[int, Any]], Future[list[RowResult]]]]
    ) -> Iterator[list[RowResult]]:
        chunk, future = pending.popleft()
        try:
            yield future.result()
            return
        except BrokenProcessPool:
            lost = [chunk] + [other for other, _ in pending]
            pending.clear()
        except ValidationError:
            raise
        except Exception as error:  # a result that could not come back (it would not pickle, say)
            yield _failed(chunk, f"{type(error).__name__} in a worker: {error}"[:500])
            return
        broken = True
        for chunk in lost:  # one at a time, so a death names its chunk
            if broken:
                self._restart()
                broken = False
            try:
                yield self.executor.submit(_check_chunk, chunk).result()
            except BrokenProcessPool as error:
                broken = True
                self.deaths.append(f"a worker process died checking {_span(chunk)}: {error}")
                yield _failed(chunk, f"a worker process died while checking {_span(chunk)} (one of them killed it)")
        if broken:
            self._restart()


class _Output:
    """The parent's side: counts every result and, with ``fix_dir``, writes kept rows (in one type per column,
    images as absolute paths) and rejects."""

    def __init__(self, report: ValidationReport, image_column: str | None, fix_dir: Path | None) -> None:
        self.report, self.image_column, self.fix_dir = report, image_column, fix_dir
        self.shapes = ColumnShapes()
        self.clean = self.rejects = None
        if fix_dir is not None:
            fix_dir.mkdir(parents=True, exist_ok=True)
            report.clean_path = fix_dir / f"{report.dataset}.jsonl"
            report.rejects_path = fix_dir / f"{report.dataset}.rejects.jsonl"
            report.summary_path = fix_dir / f"{report.dataset}.validation.json"
            self.clean = report.clean_path.open("w", encoding="utf-8")
            self.rejects = report.rejects_path.open("w", encoding="utf-8")

    def close(self) -> None:
        for handle in (self.clean, self.rejects):
            if handle is not None:
                handle.close()

    def record(self, result: RowResult) -> None:
        report = self.report
        report.rows.add_input()
        if result.reason is None:
            row, conflict = self.shapes.conform(self._stored_images(result.row))
            if row is None:
                result = RowResult(result.index, "column_type_mismatch", conflict, row=result.row)
            else:
                report.rows.keep()
                report.total_tokens += result.tokens
                report.max_tokens = max(report.max_tokens, result.tokens)
                report.warnings.update(result.warnings)
                if self.clean is not None:
                    self.clean.write(json.dumps(row, ensure_ascii=False, default=str) + "\n")
                return
        report.rows.reject(result.reason, f"row {result.index}", result.detail)
        if self.rejects is not None:
            record = {"index": result.index, "reason": result.reason, "detail": result.detail, "row": result.row}
            self.rejects.write(json.dumps(record, ensure_ascii=False, default=_jsonable) + "\n")

    def _stored_images(self, row: Any) -> Any:
        """Images held as bytes (parquet from ``datasets``) cannot go into JSON: each becomes a file under
        ``fix_dir/images`` named by its content, referred to by its absolute path."""
        if not isinstance(row, dict) or self.image_column is None or row.get(self.image_column) is None:
            return row
        value = row[self.image_column]
        images = value if isinstance(value, list) else [value]
        if not any(_image_bytes(image) is not None for image in images):
            return row
        return _with_images(row, self.image_column, [self._store(image) for image in images])

    def _store(self, image: Any) -> Any:
        data = _image_bytes(image)
        if data is None:
            return image
        suffix = ".png" if data.startswith(b"\x89PNG") else ".jpg" if data.startswith(b"\xff\xd8") else ".img"
        folder = (self.fix_dir or Path(".")) / "images"
        path = (folder / f"{hashlib.sha256(data).hexdigest()[:24]}{suffix}").absolute()
        if self.fix_dir is not None and not path.exists():
            folder.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(path.suffix + ".tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
        return str(path)


def _image_bytes(image: Any) -> bytes | None:
    if isinstance(image, bytes):
        return image
    if isinstance(image, dict) and isinstance(image.get("bytes"), bytes):
        return image["bytes"]
    return None


def _jsonable(value: Any) -> Any:
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    return str(value)


def validate_dataset(
    config: ValidateConfig,
    fix_dir: str | Path | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> ValidationReport:
    """Check every row; with ``fix_dir`` write ``NAME.jsonl`` (kept rows), ``NAME.rejects.jsonl`` (one record per
    rejected row with its reason), ``NAME.validation.json`` (the report, written even when the run stops early)
    and, when every row was judged, register ``NAME`` in ``fix_dir/dataset_info.json``. kept + rejected = total."""
    attr, files = check_inputs(config)
    report = ValidationReport(dataset=config.dataset)
    output = _Output(report, attr.images, Path(fix_dir) if fix_dir is not None else None)
    pool: _Pool | None = None
    try:
        pool = _Pool(config, attr, report.worker_failures)
        for results in pool.run(_chunks(iter_rows(files), config.chunk_rows)):
            for result in results:
                output.record(result)
            if on_progress is not None:
                on_progress(len(results))
        report.complete = True
    except BaseException as error:
        report.error = f"{type(error).__name__}: {error}".strip().rstrip(":")
        raise
    finally:
        if pool is not None:
            pool.close()
        output.close()
        if report.summary_path is not None:  # with fix_dir
            if report.complete:
                from vision_r1_plugins.core.dataset_info import register_datasets

                register_datasets(
                    report.summary_path.parent,
                    {config.dataset: _entry_for(attr, f"{config.dataset}.jsonl")},
                    force=True,
                )
            report.summary_path.write_text(json.dumps(report.to_dict(), indent=2) + "\n", encoding="utf-8")
    report.rows.check_balance()  # the contract, checked rather than assumed
    return report


def check_outcome(report: ValidationReport, strict: bool = False) -> None:
    """Raise :class:`RunError` when no row is usable, when a worker process died, or (``strict``) when any row
    was rejected; an empty dataset is a :class:`ValidationError`."""
    where = f"every reject is in {report.rejects_path}" if report.rejects_path else "--fix DIR writes every reject"
    if report.worker_failures:
        lost = len(report.worker_failures)
        raise RunError(
            f"{lost} worker process(es) died: {report.worker_failures[0]}; the rows they held are "
            f"counted as invalid_row ({report.rejected['invalid_row']} in all); {where}"
        )
    top = report.rejected.most_common(3)
    try:
        report.rows.outcome(
            strict,
            source=report.dataset,
            first="; ".join(report.examples[reason] for reason, _ in top),
            messages={
                Verdict.EMPTY: "{source} has no rows: nothing to validate (check its file_name in dataset_info.json)",
                Verdict.NOTHING_KEPT: "no row of {source} is usable for training: {rejected} of {input} rejected "
                "({counts}); first: {first}\nfix: {fix}; {where}",
                Verdict.STRICT_REJECTED: "--strict: {rejected} of {input} rows of {source} rejected ({counts}); "
                "first: {first}; {where}",
            },
            fix=FIXES.get(top[0][0], "fix the rows") if top else "fix the rows",
            where=where,
        )
    except UsageError as error:  # the empty dataset, as this module's own error type
        raise ValidationError(str(error)) from error


def _entry_for(attr: Any, file_name: str) -> dict[str, Any]:
    columns = {"messages": attr.messages}
    for key in ("images", "system"):
        if getattr(attr, key):
            columns[key] = getattr(attr, key)
    tags = {
        key: getattr(attr, key)
        for key in (
            "role_tag",
            "content_tag",
            "user_tag",
            "assistant_tag",
            "observation_tag",
            "function_tag",
            "system_tag",
        )
    }
    return {"file_name": file_name, "formatting": "sharegpt", "columns": columns, "tags": tags}
