"""Peak memory of the commands that read large inputs, against the number of rows: `rl-data`, `lf validate`,
`eval score` and `reward score`, each run as its own process on synthetic inputs of N rows.

    .venv/bin/python benchmarks/reader_memory.py [--rows 10000 200000] [--commands rl-data lf-validate ...]
        [--formats jsonl parquet json] [--keep DIR]

Rows have realistic sizes (questions ~300 characters, responses and answers ~4 KB) and point at four small shared
image files, so image I/O is not what is measured. Each command runs through `.venv/bin/vision-r1` in a child
process; its peak RSS is the kernel's ``ru_maxrss`` from ``os.wait4`` (the largest of the command and the worker
processes it waited for), and "tree peak" is the sum over the command and all its workers, sampled every 50 ms.
Growth is the peak RSS at the largest N over the smallest, minus one: flat memory reads ~0%.

Two inputs are parsed whole by design and are measured to show it: a JSON array (LLaMA-Factory's own format,
`--formats json`, `lf validate` only) and the benchmark file of `eval score`, whose rows and records are held (a
benchmark has thousands of rows): `eval-score` runs a benchmark of N rows with one response per row (the cost of a
benchmark row), `eval-score-5k` a 5,000-row benchmark against N responses (the cost of a large responses file).
Slow commands take fewer rows (`--rows 1000 10000` for `rl-data`, which runs the processor on every prompt).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

VISION_R1 = str(Path(sys.executable).with_name("vision-r1"))
COMMANDS = ("rl-data", "lf-validate", "eval-score", "eval-score-5k", "reward-score")
FIXED_BENCHMARK_ROWS = 5_000  # MM-Math has 5,929 rows, MathVerse testmini 3,940
IMAGES = 4
WORDS = "the triangle circle angle side length area point line segment radius chord value figure shown below".split()


# ---------------------------------------------------------------------------------------------------------
# Synthetic text


def _text(rng: random.Random, chars: int) -> str:
    words: list[str] = []
    size = 0
    while size < chars:
        word = rng.choice(WORDS)
        words.append(word)
        size += len(word) + 1
    return " ".join(words)


def _question(rng: random.Random, index: int) -> str:
    return f"Problem {index}: {_text(rng, 280)}. What is the value of x?"


def _response(rng: random.Random, answer: int) -> str:
    return f"<think>\n{_text(rng, 4000)}\n</think>\n<answer>{answer}</answer>"


# ---------------------------------------------------------------------------------------------------------
# Writers: rows go out as they are made, so the generator never holds N rows either


def _write_rows(path: Path, rows: Iterator[dict[str, Any]]) -> None:
    if path.suffix == ".jsonl":
        with path.open("w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    elif path.suffix == ".json":  # one array, as LLaMA-Factory's datasets are often shipped
        with path.open("w", encoding="utf-8") as handle:
            handle.write("[")
            for index, row in enumerate(rows):
                handle.write(("," if index else "") + json.dumps(row, ensure_ascii=False))
            handle.write("]")
    elif path.suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        writer: pq.ParquetWriter | None = None
        batch: list[dict[str, Any]] = []
        for row in rows:
            batch.append(row)
            if len(batch) == 2048:
                writer = _write_batch(writer, path, batch, pa, pq)
                batch = []
        if batch or writer is None:
            writer = _write_batch(writer, path, batch, pa, pq)
        writer.close()
    else:
        raise ValueError(f"unsupported format {path.suffix}")


def _write_batch(writer: Any, path: Path, batch: list[dict[str, Any]], pa: Any, pq: Any) -> Any:
    table = pa.Table.from_pylist(batch)
    if writer is None:
        writer = pq.ParquetWriter(path, table.schema)
    writer.write_table(table.cast(writer.schema))
    return writer


def _images(folder: Path) -> list[str]:
    from vision_r1_plugins.testing.synthetic import write_images

    return [f"images/{name}" for name in write_images(folder / "images", IMAGES, size=(120, 90))]


# ---------------------------------------------------------------------------------------------------------
# One input and command line per command


def rl_data(folder: Path, rows: int, fmt: str, model: Path) -> list[str]:
    images = _images(folder)
    rng = random.Random(0)
    source = folder / f"problems.{fmt}"
    _write_rows(
        source,
        (
            {"id": f"p{i}", "problem": _question(rng, i), "answer": str(i % 97), "images": [images[i % IMAGES]]}
            for i in range(rows)
        ),
    )
    out = folder / "out" / "rl"
    return ["rl-data", str(source), "--model", str(model), "--out", str(out), "--max-prompt-length", "4096"]


def lf_validate(folder: Path, rows: int, fmt: str, model: Path) -> list[str]:
    from vision_r1_plugins.core.dataset_info import register_datasets
    from vision_r1_plugins.testing.synthetic import SHAREGPT_ENTRY

    images = _images(folder)
    rng = random.Random(0)
    source = folder / f"cold.{fmt}"
    _write_rows(
        source,
        (
            {
                "messages": [
                    {"role": "user", "content": "<image>" + _question(rng, i)},
                    {"role": "assistant", "content": _response(rng, i % 97)},
                ],
                "images": [images[i % IMAGES]],
            }
            for i in range(rows)
        ),
    )
    register_datasets(folder, {"cold": {"file_name": source.name, **SHAREGPT_ENTRY}}, force=True)
    fix = folder / "fixed"
    return [
        "lf",
        "validate",
        "--dataset-dir",
        str(folder),
        "--dataset",
        "cold",
        "--model",
        str(model),
        "--cutoff-len",
        "8192",
        "--fix",
        str(fix),
    ]


def eval_score(folder: Path, rows: int, fmt: str, model: Path, benchmark_rows: int | None = None) -> list[str]:
    """A benchmark of ``benchmark_rows`` rows (default: N) and N responses, one per id ``q0``..``q{N-1}``: with a
    smaller benchmark the rest answer ids it does not have (counted ``unmatched``)."""
    rng = random.Random(0)
    benchmark = folder / "bench.jsonl"
    _write_rows(
        benchmark,
        (
            {
                "id": f"q{i}",
                "images": [],
                "query": _question(rng, i),
                "answer": str(i % 97),
                "question_type": "free_form",
                "answer_type": "integer",
            }
            for i in range(rows if benchmark_rows is None else min(rows, benchmark_rows))
        ),
    )
    responses = folder / f"responses.{fmt}"
    # a third wrong, so scoring does real work on both sides
    _write_rows(responses, ({"id": f"q{i}", "response": _response(rng, i % 97 + (i % 3 == 0))} for i in range(rows)))
    out = folder / "run"
    return ["eval", "score", str(responses), "--benchmark", "vision_r1", "--data", str(benchmark), "--out", str(out)]


def eval_score_fixed_benchmark(folder: Path, rows: int, fmt: str, model: Path) -> list[str]:
    return eval_score(folder, rows, fmt, model, benchmark_rows=FIXED_BENCHMARK_ROWS)


def reward_score(folder: Path, rows: int, fmt: str, model: Path) -> list[str]:
    rng = random.Random(0)
    source = folder / f"responses.{fmt}"
    _write_rows(
        source,
        (
            {"id": f"r{i}", "response": _response(rng, i % 97 + (i % 3 == 0)), "ground_truth": str(i % 97)}
            for i in range(rows)
        ),
    )
    return ["reward", "score", str(source), "--out", str(folder / "scores.jsonl")]


@dataclass(frozen=True)
class Case:
    """One command on one input format; ``formats`` are those the command reads."""

    name: str
    build: Callable[[Path, int, str, Path], list[str]]
    formats: tuple[str, ...]


CASES = {
    "rl-data": Case("rl-data", rl_data, ("jsonl", "parquet")),
    "lf-validate": Case("lf validate", lf_validate, ("jsonl", "parquet", "json")),
    "eval-score": Case("eval score (N-row benchmark)", eval_score, ("jsonl", "parquet")),
    "eval-score-5k": Case("eval score (5K-row benchmark)", eval_score_fixed_benchmark, ("jsonl", "parquet")),
    "reward-score": Case("reward score", reward_score, ("jsonl",)),  # the command reads JSONL only
}


# ---------------------------------------------------------------------------------------------------------
# Measuring


@dataclass
class Measure:
    seconds: float
    peak_mb: float  # ru_maxrss: the largest single process
    tree_mb: float  # the sum over the process tree, sampled
    returncode: int


def _tree_rss(pid: int) -> int:
    import psutil

    try:
        process = psutil.Process(pid)
        members = [process, *process.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0
    total = 0
    for member in members:
        with contextlib.suppress(psutil.NoSuchProcess):  # a worker may exit between listing and reading
            total += member.memory_info().rss
    return total


def measure(command: list[str], log: Path) -> Measure:
    """Run ``vision-r1 COMMAND`` in a child and return its wall time and peak memory."""
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TOKENIZERS_PARALLELISM": "false"}
    start = time.perf_counter()
    with log.open("w") as output:
        child = subprocess.Popen([VISION_R1, *command], stdout=output, stderr=subprocess.STDOUT, env=env)
        tree_peak = 0
        done = threading.Event()

        def sample() -> None:
            nonlocal tree_peak
            while not done.wait(0.05):
                tree_peak = max(tree_peak, _tree_rss(child.pid))

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _, status, usage = os.wait4(child.pid, 0)
        done.set()
        sampler.join()
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    return Measure(seconds, usage.ru_maxrss / 1024, tree_peak / 2**20, child.returncode)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, nargs="+", default=[10_000, 200_000], help="row counts (N)")
    parser.add_argument("--commands", nargs="+", choices=COMMANDS, default=list(COMMANDS))
    parser.add_argument("--formats", nargs="+", choices=("jsonl", "parquet", "json"), default=None)
    parser.add_argument(
        "--max-rows",
        nargs="+",
        default=[],
        metavar="COMMAND=N",
        help="cap the rows of a slow command (eval-score=20000); the table shows the rows it ran",
    )
    parser.add_argument("--keep", type=Path, help="leave inputs, outputs and logs in this folder")
    args = parser.parse_args()
    caps = {key: int(value) for key, value in (item.split("=", 1) for item in args.max_rows)}
    root = args.keep or Path(tempfile.mkdtemp(prefix="reader_memory_"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        model = root / "model"
        if not (model / "config.json").exists():
            from vision_r1_plugins.testing.tiny import build_tiny_qwen2_5_vl

            build_tiny_qwen2_5_vl(model)
        print("| command | format | rows | seconds | peak RSS (MB) | tree peak (MB) | growth |")
        print("|---|---|---:|---:|---:|---:|---:|")
        for key in args.commands:
            case = CASES[key]
            formats = [fmt for fmt in (args.formats or case.formats) if fmt in case.formats]
            for fmt in formats:
                first: float | None = None
                for rows in sorted({min(n, caps.get(key, n)) for n in args.rows}):
                    folder = root / f"{key}-{fmt}-{rows}"
                    shutil.rmtree(folder, ignore_errors=True)
                    folder.mkdir(parents=True)
                    command = case.build(folder, rows, fmt, model)
                    result = measure(command, folder / "log.txt")
                    if result.returncode != 0:
                        tail = (folder / "log.txt").read_text(errors="replace")[-2000:]
                        raise SystemExit(f"{case.name} {fmt} {rows} exited {result.returncode}:\n{tail}")
                    growth = "" if first is None else f"{result.peak_mb / first - 1:+.0%}"
                    first = first if first is not None else result.peak_mb
                    print(
                        f"| {case.name} | {fmt} | {rows:,} | {result.seconds:.1f} | {result.peak_mb:.0f} | "
                        f"{result.tree_mb:.0f} | {growth} |",
                        flush=True,
                    )
                    if args.keep is None:
                        shutil.rmtree(folder, ignore_errors=True)
    finally:
        if args.keep is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
