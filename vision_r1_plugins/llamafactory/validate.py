"""Validate a registered LLaMA-Factory dataset before a long run: ``vision-r1 lf validate``.

LLaMA-Factory aborts the whole preprocessing on one row whose ``<image>`` count differs from its images, fails
on a missing image file mid-``map``, and crashes at forward time ("Image features and image tokens do not
match") when ``cutoff_len`` truncates through expanded image tokens. This pass finds every such row up front.

Rows are read by us (JSON array, JSONL, parquet) so that each bad row becomes a reject record with its reason
instead of an exception; everything about *how* a row becomes tokens is LLaMA-Factory's own: the dataset
attributes from ``dataset_info.json``, the chat template, the tokenizer, the processor's image sizing. Image
token counts are computed from each image's header size (LLaMA-Factory's resize rule, then transformers'
``smart_resize``) instead of decoding pixels; that equals LLaMA-Factory's count exactly and is ~35x faster.

The model path, the dataset's registration and its files are checked before any worker starts
(:func:`check_inputs`); a model folder LLaMA-Factory cannot load fails with its reason, not a broken pool. A run
that keeps nothing, or (``strict``) rejects anything, fails in :func:`check_outcome`.
"""

from __future__ import annotations

import io
import json
import math
import os
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from vision_r1_plugins.core import rows as row_files
from vision_r1_plugins.core.errors import RunError, UsageError
from vision_r1_plugins.generation.types import check_local_model

REASONS = (
    "invalid_row",
    "bad_role_order",
    "empty_turn",
    "image_count_mismatch",
    "missing_image",
    "undecodable_image",
    "over_cutoff_len",
)
SUPPORTED_SUFFIXES = (".json", ".jsonl", ".parquet")
# What to change when every row is rejected for one reason.
FIXES = {
    "invalid_row": "check the dataset's columns and tags in dataset_info.json against its rows",
    "bad_role_order": "check role_tag, user_tag and assistant_tag in dataset_info.json",
    "empty_turn": "drop or fill the empty turns",
    "image_count_mismatch": "give each <image> placeholder one image",
    "missing_image": "relative image paths resolve against --media-dir (default --dataset-dir)",
    "undecodable_image": "replace the broken image files",
    "over_cutoff_len": "raise --cutoff-len (and the recipe's cutoff_len) or lower --image-max-pixels",
}


class ValidationError(UsageError):
    """The dataset cannot be validated at all (unknown name, unsupported file type, bad settings)."""


@dataclass(frozen=True)
class ValidateConfig:
    dataset_dir: str
    dataset: str
    model: str
    cutoff_len: int
    template: str = "qwen2_vl"
    media_dir: str | None = None
    image_max_pixels: int = 768 * 768  # LLaMA-Factory's default
    image_min_pixels: int = 32 * 32
    num_workers: int = 2
    decode_images: bool = False  # also decode pixels: catches truncated files, costs ~35x more
    chunk_rows: int = 128

    def __post_init__(self) -> None:
        if self.cutoff_len <= 0:
            raise ValidationError(f"cutoff_len must be > 0, got {self.cutoff_len}")
        if self.num_workers <= 0:
            raise ValidationError(f"num_workers must be > 0, got {self.num_workers}")


@dataclass
class RowResult:
    index: int
    reason: str | None  # None: the row is fine
    detail: str = ""
    tokens: int = 0
    image_tokens: int = 0
    row: Any = None  # the row to write out (image paths made absolute when kept)


@dataclass
class ValidationReport:
    dataset: str
    total: int = 0
    kept: int = 0
    rejected: Counter[str] = field(default_factory=Counter)
    max_tokens: int = 0
    total_tokens: int = 0
    examples: dict[str, str] = field(default_factory=dict)  # first detail seen per reason
    clean_path: Path | None = None
    rejects_path: Path | None = None

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    @property
    def mean_tokens(self) -> float:
        return self.total_tokens / self.kept if self.kept else 0.0

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["rejected"] = dict(self.rejected)
        data["clean_path"] = str(self.clean_path) if self.clean_path else None
        data["rejects_path"] = str(self.rejects_path) if self.rejects_path else None
        return data


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


def lf_resized_size(width: int, height: int, max_pixels: int, min_pixels: int) -> tuple[int, int]:
    """The size LLaMA-Factory's qwen2_vl plugin hands to the image processor (``_preprocess_image``)."""
    if width * height > max_pixels:
        factor = math.sqrt(max_pixels / (width * height))
        width, height = int(width * factor), int(height * factor)
        if width <= 0 or height <= 0:
            raise ValueError("height and width must be > 0 after resizing")
    if width * height < min_pixels:
        factor = math.sqrt(min_pixels / (width * height))
        width, height = int(width * factor), int(height * factor)
    if min(width, height) < 28:
        width, height = max(width, 28), max(height, 28)
    if width / height > 200:
        width, height = height * 180, height
    if height / width > 200:
        width, height = width, width * 180
    return width, height


class RowChecker:
    """Everything needed to check rows, built once per worker process."""

    def __init__(self, config: ValidateConfig, attr: Any) -> None:
        from llamafactory.data.template import get_template_and_fix_tokenizer
        from llamafactory.extras.constants import IMAGE_PLACEHOLDER
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
        self.media_dir = Path(config.media_dir or config.dataset_dir)
        self.user_roles = {attr.user_tag, attr.observation_tag}
        self.assistant_roles = {attr.assistant_tag, attr.function_tag}

    # -- structure
    def _messages(self, row: Any) -> tuple[str, list[dict[str, str]], list[Any]] | RowResult:
        attr = self.attr
        if not isinstance(row, dict):
            return RowResult(-1, "invalid_row", f"row is {type(row).__name__}, not an object")
        messages = row.get(attr.messages)
        if not isinstance(messages, list) or not messages:
            return RowResult(-1, "invalid_row", f"column {attr.messages!r} is missing or not a non-empty list")
        if not all(isinstance(m, dict) and isinstance(m.get(attr.content_tag), str) for m in messages):
            return RowResult(-1, "invalid_row", f"every message needs a string {attr.content_tag!r}")
        system = row.get(attr.system) if attr.system else ""
        if attr.system_tag and messages[0].get(attr.role_tag) == attr.system_tag:
            system, messages = messages[0][attr.content_tag], messages[1:]
        for turn, message in enumerate(messages):
            allowed = self.user_roles if turn % 2 == 0 else self.assistant_roles
            if message.get(attr.role_tag) not in allowed:
                wanted = "user" if turn % 2 == 0 else "assistant"
                return RowResult(
                    -1,
                    "bad_role_order",
                    f"turn {turn} has role {message.get(attr.role_tag)!r}, expected a {wanted} turn",
                )
        if len(messages) % 2:
            return RowResult(-1, "bad_role_order", f"{len(messages)} turns: the last user turn has no answer")
        for turn, message in enumerate(messages):
            if not message[attr.content_tag].strip():
                return RowResult(-1, "empty_turn", f"turn {turn} is empty")
        images = row.get(attr.images) if attr.images else None
        images = [] if images is None else images if isinstance(images, list) else [images]
        chat = [
            {"role": "user" if turn % 2 == 0 else "assistant", "content": m[attr.content_tag]}
            for turn, m in enumerate(messages)
        ]
        return system or "", chat, images

    # -- images
    def _resolve(self, image: Any) -> Any:
        if isinstance(image, str):
            candidate = self.media_dir / image
            return str(candidate.resolve()) if candidate.is_file() else image
        return image

    def _image_tokens(self, image: Any) -> int | RowResult:
        from PIL import Image, UnidentifiedImageError
        from transformers.models.qwen2_vl.image_processing_qwen2_vl import smart_resize

        if isinstance(image, str) and not Path(image).is_file():
            return RowResult(
                -1, "missing_image", f"{image} not found (relative paths resolve against {self.media_dir})"
            )
        source: Any = image
        if isinstance(image, dict):
            source = io.BytesIO(image["bytes"]) if image.get("bytes") is not None else image.get("path")
        elif isinstance(image, bytes):
            source = io.BytesIO(image)
        try:
            with Image.open(source) as opened:
                width, height = opened.size
                if self.config.decode_images:
                    opened.load()
                else:
                    opened.verify()
            width, height = lf_resized_size(
                width, height, self.processor.image_max_pixels, self.processor.image_min_pixels
            )
        except (OSError, UnidentifiedImageError, ValueError, TypeError, SyntaxError) as error:
            return RowResult(-1, "undecodable_image", f"{str(image)[:200]}: {error}")
        image_processor = self.processor.image_processor
        patch, merge = image_processor.patch_size, image_processor.merge_size
        resized_h, resized_w = smart_resize(
            height,
            width,
            factor=patch * merge,
            min_pixels=image_processor.size["shortest_edge"],
            max_pixels=image_processor.size["longest_edge"],
        )
        return (resized_h // patch) * (resized_w // patch) // (merge * merge)

    # -- the whole row
    def check(self, index: int, row: Any) -> RowResult:
        if isinstance(row, row_files.BadRow):
            return RowResult(index, "invalid_row", row.detail, row=None)
        parsed = self._messages(row)
        if isinstance(parsed, RowResult):
            parsed.index, parsed.row = index, row
            return parsed
        system, chat, images = parsed
        placeholders = sum(message["content"].count(self.placeholder) for message in chat)
        if placeholders != len(images):
            return RowResult(
                index,
                "image_count_mismatch",
                f"{placeholders} {self.placeholder} placeholders but {len(images)} images",
                row=row,
            )
        resolved = [self._resolve(image) for image in images]
        counts: list[int] = []
        for image in resolved:
            counted = self._image_tokens(image)
            if isinstance(counted, RowResult):
                counted.index, counted.row = index, row
                return counted
            counts.append(counted)
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
        image_tokens = sum(counts)
        kept_row = _with_images(row, self.attr.images, resolved) if images else row
        if tokens > self.config.cutoff_len:
            return RowResult(
                index,
                "over_cutoff_len",
                f"{tokens} tokens ({image_tokens} for images) > cutoff_len {self.config.cutoff_len}",
                tokens,
                image_tokens,
                row,
            )
        return RowResult(index, None, "", tokens, image_tokens, kept_row)


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
        reasons = [f"{type(e).__name__}: {(str(e).strip().splitlines() or [''])[0]}"
                   for e in (error, error.__cause__) if e is not None]  # fmt: skip
        _init_error = (f"LLaMA-Factory could not load the tokenizer, processor or template {config.template!r} for "
                       f"{config.model}: {'; '.join(reasons)}\n"
                       "give --model the model folder used for training and --template its chat template")  # fmt: skip


def _check_chunk(chunk: list[tuple[int, Any]]) -> list[RowResult]:
    if _init_error is not None:
        raise ValidationError(_init_error)
    assert _checker is not None
    return [_checker.check(index, row) for index, row in chunk]


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


def validate_dataset(
    config: ValidateConfig,
    fix_dir: str | Path | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> ValidationReport:
    """Check every row; with ``fix_dir`` write ``NAME.jsonl`` (kept rows), ``NAME.rejects.jsonl`` (one record per
    rejected row with its reason) and register ``NAME`` in ``fix_dir/dataset_info.json``. kept + rejected = total."""
    attr, files = check_inputs(config)
    report = ValidationReport(dataset=config.dataset)
    clean = rejects = None
    if fix_dir is not None:
        fix_path = Path(fix_dir)
        fix_path.mkdir(parents=True, exist_ok=True)
        report.clean_path = fix_path / f"{config.dataset}.jsonl"
        report.rejects_path = fix_path / f"{config.dataset}.rejects.jsonl"
        clean = report.clean_path.open("w", encoding="utf-8")
        rejects = report.rejects_path.open("w", encoding="utf-8")
    try:
        with ProcessPoolExecutor(config.num_workers, initializer=_init_worker, initargs=(config, attr)) as pool:
            for results in pool.map(_check_chunk, _chunks(iter_rows(files), config.chunk_rows)):
                for result in results:
                    _record(report, result, clean, rejects)
                if on_progress is not None:
                    on_progress(len(results))
    finally:
        for handle in (clean, rejects):
            if handle is not None:
                handle.close()
    if fix_dir is not None:
        from vision_r1_plugins.core.dataset_info import register_datasets

        register_datasets(fix_dir, {config.dataset: _entry_for(attr, f"{config.dataset}.jsonl")}, force=True)
        (Path(fix_dir) / f"{config.dataset}.validation.json").write_text(json.dumps(report.to_dict(), indent=2) + "\n")
    if report.kept + report.rejected_total != report.total:  # the contract, checked rather than assumed
        raise AssertionError(f"row accounting broke: {report.kept} + {report.rejected_total} != {report.total}")
    return report


def check_outcome(report: ValidationReport, strict: bool = False) -> None:
    """Raise :class:`RunError` when no row is usable, or (``strict``) when any row was rejected; an empty
    dataset is a :class:`ValidationError`."""
    if report.total == 0:
        raise ValidationError(f"{report.dataset} has no rows: nothing to validate (check its file_name in "
                              "dataset_info.json)")  # fmt: skip
    if not report.rejected_total or not (strict or report.kept == 0):
        return
    counts = ", ".join(f"{reason} {count}" for reason, count in report.rejected.most_common())
    first = "; ".join(report.examples[reason] for reason, _ in report.rejected.most_common(3))
    where = f"every reject is in {report.rejects_path}" if report.rejects_path else "--fix DIR writes every reject"
    if report.kept == 0:
        fix = FIXES.get(report.rejected.most_common(1)[0][0], "fix the rows")
        raise RunError(f"no row of {report.dataset} is usable for training: {report.total} of {report.total} "
                       f"rejected ({counts}); first: {first}\nfix: {fix}; {where}")  # fmt: skip
    raise RunError(f"--strict: {report.rejected_total} of {report.total} rows of {report.dataset} rejected "
                   f"({counts}); first: {first}; {where}")  # fmt: skip


def _record(report: ValidationReport, result: RowResult, clean: Any, rejects: Any) -> None:
    report.total += 1
    if result.reason is None:
        report.kept += 1
        report.total_tokens += result.tokens
        report.max_tokens = max(report.max_tokens, result.tokens)
        if clean is not None:
            clean.write(json.dumps(result.row, ensure_ascii=False) + "\n")
        return
    report.rejected[result.reason] += 1
    report.examples.setdefault(result.reason, f"row {result.index}: {result.detail}")
    if rejects is not None:
        record = {"index": result.index, "reason": result.reason, "detail": result.detail, "row": result.row}
        rejects.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")


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
