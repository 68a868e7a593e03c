"""Convert geometry3k-style problems (the Vision-R1-rl parquet) into verl 0.9.1's RL parquet.

The rows match what verl's ``examples/data_preprocess/geo3k.py`` writes and what ``RLHFDataset`` reads::

    {data_source, prompt: [{role, content}], images: [{"bytes"}], ability: "math",
     reward_model: {style: "rule", ground_truth}, extra_info: {split, index, id, answer, question, choices}}

Rows that would break or silently skew training are dropped and reported instead: everything the shared reader
rejects (missing/corrupt image, empty question, ...), a problem whose ``<image>`` markers do not match its images
(``RLHFDataset`` asserts on that mid-run), a processor error, and prompts longer than ``max_prompt_length`` tokens
counted with the model's real processor, images expanded, exactly as ``RLHFDataset`` counts them when it filters
``filter_overlong_prompts`` (verl would otherwise drop them itself, silently, or fail the rollout on them).
kept + rejected = input, always.

Mistakes in the command fail before any work: a model path that does not exist, an input that is missing or
empty, a first row without the named question/answer/image columns (the shared reader's check). A run that keeps
nothing fails with the first rejects' reasons (:func:`check_outcome`).
"""

from __future__ import annotations

import dataclasses
import io
import itertools
import json
import math
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vision_r1_plugins.core.accounting import CountedRows, RowAccount, Verdict
from vision_r1_plugins.core.errors import UsageError
from vision_r1_plugins.core.exclusion import OVERLAP_REASON, Excluder
from vision_r1_plugins.core.problems import (
    IMAGE_PLACEHOLDER,
    Problem,
    ProblemColumns,
    Rejection,
    read_problems_with_rows,
)
from vision_r1_plugins.generation.types import check_local_model

# Written for this project in the spirit of DeepSeek-R1's template; the tags are what the vision_r1 reward's
# ``think_answer`` style checks.
R1_SYSTEM_PROMPT = (
    "You are a careful problem solver. The user gives you a problem together with one or more images. "
    "Think it through step by step before answering: put all of your reasoning inside <think> </think> tags, "
    "then put only the final answer inside <answer> </answer> tags, like this: "
    "<think> reasoning here </think><answer> final answer here </answer>"
)

# verl's RLHFDataset splits every message on these; any of them without a matching media item fails an assert.
_MEDIA_MARKERS = ("<image>", "<video>", "<audio>")
EXAMPLES = 3  # rejects quoted in a failed run's message (the first of each reason)
# What to change when every row is rejected for one reason.
FIXES = {
    "empty_question": "point --question-column at the problem text",
    "missing_answer": "point --answer-column at the gold answer",
    "no_image": "point --image-column at the images",
    "missing_image": "image paths resolve against the input file's folder",
    "prompt_too_long": "raise --max-prompt-length (verl's data.max_prompt_length) or shorten the prompts",
    "placeholder_mismatch": "give each problem one <image> marker per image, or none",
    "processor_error": "check that --model is the RL policy's folder (its processor measures the prompts)",
}


@dataclass(frozen=True)
class RLDataConfig:
    """What :func:`convert_rl_data` reads and writes: the problems file, the output (``OUT`` or ``OUT.parquet``), the
    policy model whose processor measures prompts, verl's ``data.max_prompt_length``, the reward's
    ``data_source``, optional system prompt and instruction, a test split and the input's column names.

    >>> config = RLDataConfig("problems.jsonl", "out/rl", "Qwen/Qwen2.5-VL-7B-Instruct", test_size=0.1)
    """

    input: str | Path
    output: str | Path  # OUT or OUT.parquet -> OUT.parquet (or OUT.train/OUT.test.parquet) + OUT.rejects.jsonl
    model: str | Path  # a model or processor folder: its processor measures the prompts
    max_prompt_length: int = 1024
    data_source: str = "vision_r1"
    system_prompt: str | None = None
    instruction: str | None = None
    test_size: float = 0.0
    seed: int = 0
    columns: ProblemColumns = field(default_factory=ProblemColumns)
    batch_rows: int = 64  # rows per parquet row group; bounds how many images are held in memory
    # Benchmark rows to keep out (vision_r1_plugins.overlap.load_index): an overlapping problem is filtered as
    # benchmark_overlap, written to the rejects file with the benchmark row it overlaps.
    exclude: Excluder | None = None

    def __post_init__(self) -> None:
        if self.max_prompt_length <= 0:
            raise UsageError(f"max_prompt_length must be > 0, got {self.max_prompt_length}")
        if not 0.0 <= self.test_size < 1.0:
            raise UsageError(f"test_size must be a fraction in [0, 1), got {self.test_size}")
        if self.batch_rows <= 0:
            raise UsageError(f"batch_rows must be > 0, got {self.batch_rows}")
        for name in ("system_prompt", "instruction"):
            text = getattr(self, name)
            if text is not None and any(marker in text for marker in _MEDIA_MARKERS):
                # verl would consume the row's images at these markers and misalign every prompt
                raise UsageError(f"{name} must not contain {'/'.join(_MEDIA_MARKERS)} markers")


@dataclass
class RLDataReport(CountedRows):
    """What :func:`convert_rl_data` wrote: rows in, kept and rejected by reason, prompt token counts, the parquet
    file per split and the rejects file."""

    rows: RowAccount = field(default_factory=RowAccount)  # input, kept, rejected by reason, first examples
    prompt_tokens_max: int = 0
    prompt_tokens_mean: float = 0.0
    splits: dict[str, int] = field(default_factory=dict)  # rows written per split
    outputs: dict[str, Path] = field(default_factory=dict)  # split -> parquet path
    rejects_path: Path | None = None

    @property
    def examples(self) -> list[str]:
        """The first reject of each reason: ``row I (ID) REASON: DETAIL``."""
        return [str(example) for example in self.rows.first_of_each_reason(EXAMPLES)]

    def to_dict(self) -> dict[str, Any]:
        return {
            **self.rows.to_dict(),
            "input": self.input,
            "kept": self.kept,
            "rejected": dict(self.rejected),
            "rejected_total": self.rejected_total,
            "prompt_tokens_max": self.prompt_tokens_max,
            "prompt_tokens_mean": self.prompt_tokens_mean,
            "splits": dict(self.splits),
            "outputs": {split: str(path) for split, path in self.outputs.items()},
            "rejects_path": str(self.rejects_path) if self.rejects_path else None,
            "examples": list(self.examples),
        }


def output_paths(output: str | Path) -> tuple[Path, Path]:
    """(base, rejects path): ``OUT.parquet`` and ``OUT`` both give base ``OUT``."""
    path = Path(output)
    base = path.with_suffix("") if path.suffix == ".parquet" else path
    return base, base.with_name(base.name + ".rejects.jsonl")


def rl_schema() -> Any:
    """The parquet schema, fixed up front: inferred per batch, a batch without choices would type them null."""
    import pyarrow as pa

    return pa.schema(
        [
            ("data_source", pa.string()),
            ("prompt", pa.list_(pa.struct([("role", pa.string()), ("content", pa.string())]))),
            ("images", pa.list_(pa.struct([("bytes", pa.binary())]))),
            ("ability", pa.string()),
            ("reward_model", pa.struct([("style", pa.string()), ("ground_truth", pa.string())])),
            (
                "extra_info",
                pa.struct(
                    [
                        ("split", pa.string()),
                        ("index", pa.int64()),
                        ("id", pa.string()),
                        ("answer", pa.string()),
                        ("question", pa.string()),
                        ("choices", pa.list_(pa.string())),
                    ]
                ),
            ),
        ]
    )


def user_content(raw_question: str, sample: Problem, instruction: str | None = None) -> str | Rejection:
    """The user turn: one ``<image>`` per image (where the problem put them, else at the start), the problem,
    the choices as the reward reads them (``Choices:\\n(A) ..``, A = ``choices[0]``), then the instruction."""
    for marker in _MEDIA_MARKERS[1:]:
        if marker in raw_question:
            return Rejection(sample.index, sample.id, "placeholder_mismatch", f"problem contains {marker}")
    markers, images = raw_question.count(IMAGE_PLACEHOLDER), len(sample.images)
    if markers == 0:
        body = IMAGE_PLACEHOLDER * images + sample.question_with_choices()
    elif markers == images:
        body = dataclasses.replace(sample, question=raw_question.strip()).question_with_choices()
    else:
        detail = f"problem has {markers} {IMAGE_PLACEHOLDER} markers for {images} images"
        return Rejection(sample.index, sample.id, "placeholder_mismatch", detail)
    return f"{body}\n{instruction}" if instruction else body


def build_messages(content: str, system_prompt: str | None = None) -> list[dict[str, str]]:
    messages = [{"role": "system", "content": system_prompt}] if system_prompt else []
    return [*messages, {"role": "user", "content": content}]


class PromptMeter:
    """Counts prompt tokens the way verl 0.9.1's ``RLHFDataset.maybe_filter_out_long_prompts`` does for a
    multimodal row: ``<image>`` markers become image parts, ``apply_chat_template`` renders the text,
    ``qwen_vl_utils.process_vision_info`` resizes the images, and the processor expands the image tokens.
    Done here without importing verl (slow, and not needed just to prepare data)."""

    def __init__(self, model: str | Path) -> None:
        from transformers import AutoProcessor

        self.processor = AutoProcessor.from_pretrained(str(model))
        image_processor = getattr(self.processor, "image_processor", None)
        if image_processor is None:
            raise UsageError(f"{model} has no image processor; RL data with images needs a vision-language model")
        # RLHFDataset's default (config image_patch_size unset): the processor's own patch size, else 14.
        self.image_patch_size = getattr(image_processor, "patch_size", None) or 14

    def count(self, messages: list[dict[str, str]], images: list[bytes]) -> int:
        from PIL import Image
        from qwen_vl_utils import process_vision_info

        # As RLHFDataset._build_messages: every message becomes parts, one image part per marker, in order.
        pending = iter(images)
        structured = []
        for message in messages:
            parts: list[dict[str, Any]] = []
            for segment in re.split(f"({re.escape(IMAGE_PLACEHOLDER)})", message["content"]):
                if segment == IMAGE_PLACEHOLDER:
                    parts.append({"type": "image", "image": Image.open(io.BytesIO(next(pending)))})
                elif segment:
                    parts.append({"type": "text", "text": segment})
            structured.append({"role": message["role"], "content": parts})
        raw_prompt = self.processor.apply_chat_template(structured, add_generation_prompt=True, tokenize=False)
        vision_images, _ = process_vision_info(
            structured, image_patch_size=self.image_patch_size, return_video_metadata=True
        )
        encoded = self.processor(text=[raw_prompt], images=vision_images, videos=None, return_tensors="pt")
        return len(encoded["input_ids"][0])


def _read(path: Path, columns: ProblemColumns) -> Iterator[tuple[str | None, Problem | Rejection]]:
    """``read_problems``, plus each row's raw problem text: the marker check needs the ``<image>`` markers the
    reader strips."""
    for row, sample in read_problems_with_rows(path, columns):
        raw = row.get(columns.question) if isinstance(row, dict) else None
        yield (raw if isinstance(raw, str) else None), sample


def _row(
    sample: Problem, question: str, messages: list[dict[str, str]], images: list[bytes], config: RLDataConfig
) -> dict[str, Any]:
    return {
        "data_source": config.data_source,
        "prompt": messages,
        "images": [{"bytes": data} for data in images],
        "ability": "math",
        "reward_model": {"style": "rule", "ground_truth": sample.answer},
        "extra_info": {
            "split": "train",
            "index": sample.index,
            "id": sample.id,
            "answer": sample.answer,
            "question": question,
            "choices": list(sample.choices) if sample.choices else None,
        },
    }


class _BatchWriter:
    """A parquet file written a row group at a time, so at most ``batch_rows`` rows of images sit in memory."""

    def __init__(self, path: Path, batch_rows: int) -> None:
        import pyarrow.parquet as pq

        self.schema = rl_schema()
        self.writer = pq.ParquetWriter(path, self.schema)
        self.batch_rows = batch_rows
        self.rows: list[dict[str, Any]] = []
        self.count = 0

    def add(self, row: dict[str, Any]) -> None:
        self.rows.append(row)
        if len(self.rows) >= self.batch_rows:
            self.flush()

    def flush(self) -> None:
        import pyarrow as pa

        if self.rows:
            self.writer.write_table(pa.Table.from_pylist(self.rows, schema=self.schema))
            self.count += len(self.rows)
            self.rows = []

    def close(self) -> None:
        self.flush()
        self.writer.close()


def convert_rl_data(config: RLDataConfig, on_progress: Callable[[int], None] | None = None) -> RLDataReport:
    """Write ``OUT.parquet`` (or ``OUT.train.parquet`` + ``OUT.test.parquet`` when ``test_size`` > 0) and
    ``OUT.rejects.jsonl`` (index, id, reason, detail per dropped row); ``on_progress(n)`` after n input rows.
    The model path, the input and its first row's columns are checked before the processor loads or any output
    is written."""
    source = Path(config.input)
    check_local_model(str(config.model))
    rows = _read(source, config.columns)
    first = next(rows, None)  # reading the first row checks the input exists and has the named columns
    if first is None:
        raise UsageError(f"{source} holds no rows: nothing to convert")
    base, rejects_path = output_paths(config.output)
    meter = PromptMeter(config.model)
    base.parent.mkdir(parents=True, exist_ok=True)
    report = RLDataReport(rejects_path=rejects_path)
    staged = base.with_name(base.name + ".parquet.tmp")
    writer = _BatchWriter(staged, config.batch_rows)
    total_tokens = 0
    try:
        with rejects_path.open("w", encoding="utf-8") as rejects:
            for raw_question, result in itertools.chain([first], rows):
                report.rows.add_input()
                match = config.exclude.match_problem(result) if config.exclude and isinstance(result, Problem) else None
                if match is not None:  # filtered, not rejected: the user asked for it
                    assert isinstance(result, Problem)
                    report.rows.filter(OVERLAP_REASON, f"row {result.index} ({result.id})", match.describe())
                    record = {"index": result.index, "id": result.id, "reason": OVERLAP_REASON}
                    rejects.write(json.dumps({**record, "detail": match.describe()}, ensure_ascii=False) + "\n")
                    if on_progress is not None:
                        on_progress(1)
                    continue
                outcome = _convert_one(raw_question, result, meter, config)
                if isinstance(outcome, Rejection):
                    report.rows.reject(str(outcome.reason), f"row {outcome.index} ({outcome.id})", outcome.detail)
                    record = {"index": outcome.index, "id": outcome.id, "reason": outcome.reason}
                    rejects.write(json.dumps({**record, "detail": outcome.detail}, ensure_ascii=False) + "\n")
                else:
                    row, tokens = outcome
                    writer.add(row)
                    report.rows.keep()
                    total_tokens += tokens
                    report.prompt_tokens_max = max(report.prompt_tokens_max, tokens)
                if on_progress is not None:
                    on_progress(1)
        writer.close()
    except BaseException:
        writer.writer.close()
        staged.unlink(missing_ok=True)
        raise
    report.prompt_tokens_mean = total_tokens / report.kept if report.kept else 0.0
    report.rows.check_balance()  # the contract, checked rather than assumed
    if config.test_size > 0:
        try:
            _split(staged, base, report, config)
        finally:
            staged.unlink(missing_ok=True)
    else:
        path = base.with_name(base.name + ".parquet")
        staged.replace(path)
        report.outputs["train"], report.splits["train"] = path, report.kept
    return report


def check_outcome(report: RLDataReport, source: str | Path, strict: bool = False) -> None:
    """Raise :class:`RunError` when no row was kept, or (``strict``) when any row was rejected: the shared rule,
    :meth:`RowAccount.outcome`, in this command's words."""
    top = report.rejected.most_common(1)
    fix = FIXES.get(top[0][0], "fix the rows") if top else "fix the rows"
    report.rows.outcome(
        strict,
        source=str(source),
        first="; ".join(report.examples),
        messages={
            Verdict.EMPTY: "{source} holds no rows: nothing to convert",
            Verdict.NOTHING_KEPT: "no row of {source} was kept: {rejected} of {input} rejected ({counts}); "
            "first: {first}\nfix: {fix}; every reject is in {rejects}",
            Verdict.STRICT_REJECTED: "--strict: {rejected} of {input} rows rejected ({counts}); first: {first}; "
            "see {rejects}",
        },
        fix=fix,
        rejects=report.rejects_path,
    )


def _convert_one(
    raw_question: str | None, result: Problem | Rejection, meter: PromptMeter, config: RLDataConfig
) -> Rejection | tuple[dict[str, Any], int]:
    if isinstance(result, Rejection):
        return result
    sample = result
    content = user_content(raw_question or sample.question, sample, config.instruction)
    if isinstance(content, Rejection):
        return content
    messages = build_messages(content, config.system_prompt)
    try:
        images = [image.read() for image in sample.images]
        tokens = meter.count(messages, images)
    except Exception as error:  # verl's own filter also drops a row its processor cannot handle
        return Rejection(sample.index, sample.id, "processor_error", f"{type(error).__name__}: {error}")
    if tokens > config.max_prompt_length:
        detail = f"{tokens} prompt tokens > max_prompt_length {config.max_prompt_length}"
        return Rejection(sample.index, sample.id, "prompt_too_long", detail)
    # The problem as given, markers included, like geo3k.py's extra_info (the reader's copy has them stripped).
    question = (raw_question or sample.question).strip()
    return _row(sample, question, messages, images, config), tokens


def _split(staged: Path, base: Path, report: RLDataReport, config: RLDataConfig) -> None:
    """Second pass over the staged rows: the exact test count needs the kept count, known only now."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    kept = report.kept
    test_rows = math.ceil(kept * config.test_size) if kept >= 2 else 0
    test_rows = min(test_rows, kept - 1) if kept >= 2 else 0  # never leave train empty
    test_positions = set(random.Random(config.seed).sample(range(kept), test_rows))
    paths = {split: base.with_name(f"{base.name}.{split}.parquet") for split in ("train", "test")}
    writers = {split: _BatchWriter(path, config.batch_rows) for split, path in paths.items()}
    try:
        position = 0
        # pre_buffer=False: with pyarrow's default pre-buffering, what iter_batches read stays allocated until the
        # file closes (measured: Arrow's allocation grew with the rows read), so memory would follow the file.
        for batch in pq.ParquetFile(staged, pre_buffer=False).iter_batches(batch_size=config.batch_rows):
            for row in pa.Table.from_batches([batch]).to_pylist():
                split = "test" if position in test_positions else "train"
                row["extra_info"]["split"] = split
                writers[split].add(row)
                position += 1
    finally:
        for writer in writers.values():
            writer.close()
    report.outputs.update(paths)
    report.splits.update({split: writer.count for split, writer in writers.items()})
