"""The contamination check at scale: N synthetic training rows (default 200,000) against 6,000 synthetic benchmark
rows, with planted duplicates, through :func:`vision_r1_plugins.overlap.check_overlap`.

    .venv/bin/python benchmarks/overlap_bench.py [--train-rows 200000] [--benchmark-rows 6000] [--workers 1 2]
        [--keep DIR (reused when it holds an earlier run's data)]

Benchmark rows: ~40-word questions (a 300-word vocabulary plus numbers) and a 64x64 PNG figure each (an 8x8 random
pattern upscaled, with noise), in this project's layout (``vision_r1``). Training rows: the verl RL parquet (images
as bytes), questions and figures of their own; the figures cycle through a pool of 10,000 (decoding and hashing
cost the same for a repeated image). Planted: 1 in 10 benchmark rows three times over: an exact copy reformatted
(case, spacing, LaTeX delimiters, options reordered), a near copy (an instruction sentence added: Jaccard ~0.9)
and an image copy (JPEG re-encoded at half size, under another question). Recall is per kind, over those planted
pairs; "other pairs" are pairs nobody planted (false positives, expected 0).

Phases: "data" writes the files (not the check), "index" reads and indexes the benchmark, "training" streams the
training file past the index. Peak RSS is ``ru_maxrss`` of this process after each phase (the peak so far), and of
the image worker processes (children). Run once per ``--workers`` value, each in a fresh process.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np
from PIL import Image

# Letter-only words (digits inside a word would be numbers to the tokenizer): "ab", "ac", ...
VOCABULARY = [a + b + c for a in "bcdfg" for b in "aeiou" for c in "klmnprstvxyz"][:400]
IMAGE_POOL = 10_000
PLANT_EVERY = 10


def _question(rng: random.Random) -> str:
    words = [rng.choice(VOCABULARY) for _ in range(36)]
    for _ in range(4):
        words.insert(rng.randrange(len(words)), str(rng.randrange(1000)))
    return " ".join(words) + "?"


def _figure(seed: int) -> Image.Image:
    rng = np.random.default_rng(seed)
    pattern = Image.fromarray(rng.integers(0, 256, (8, 8, 3), dtype=np.uint8)).resize((64, 64), Image.BILINEAR)
    noise = rng.integers(-8, 8, (64, 64, 3))
    return Image.fromarray(np.clip(np.asarray(pattern).astype(np.int16) + noise, 0, 255).astype(np.uint8))


def _encode(image: Image.Image, image_format: str = "PNG", **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=image_format, **options)
    return buffer.getvalue()


def _reformat(question: str) -> str:
    """The same question as another dataset writes it: upper case, doubled spaces, numbers in $..$."""
    words = [f"${word}$" if word.isdigit() else word.upper() for word in question.split()]
    return "  ".join(words)


def write_data(
    folder: Path, train_rows: int, benchmark_rows: int
) -> tuple[Path, Path, dict[str, set[tuple[int, str]]]]:
    """The benchmark JSONL (+ images), the training parquet, and the planted pairs by kind."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = random.Random(0)
    (folder / "images").mkdir(parents=True, exist_ok=True)
    bench_path = folder / "bench.jsonl"
    benchmark: list[tuple[str, list[str]]] = []
    with bench_path.open("w", encoding="utf-8") as out:
        for index in range(benchmark_rows):
            question, choices = _question(rng), [str(rng.randrange(100)) for _ in range(4)]
            benchmark.append((question, choices))
            name = f"images/b{index}.png"
            _figure(1_000_000 + index).save(folder / name)
            row = {"id": f"b{index}", "problem": question, "answer": "1", "choices": choices, "images": [name]}
            out.write(json.dumps({**row, "category": "synthetic"}) + "\n")
    pool = [_encode(_figure(seed)) for seed in range(IMAGE_POOL)]
    planted: dict[str, set[tuple[int, str]]] = {"text_exact": set(), "text_near": set(), "image": set()}
    targets = list(range(0, benchmark_rows, PLANT_EVERY))
    slots = rng.sample(range(train_rows), min(train_rows, 3 * len(targets)))
    plan = {
        slot: (kind, target)
        for slot, (kind, target) in zip(slots, [(k, t) for k in planted for t in targets], strict=False)
    }
    train_path = folder / "train.parquet"
    writer = None
    batch: list[dict[str, Any]] = []
    for index in range(train_rows):
        question, choices, image = _question(rng), None, pool[index % IMAGE_POOL]
        if index in plan:
            kind, target = plan[index]
            planted[kind].add((index, f"b{target}"))
            source_question, source_choices = benchmark[target]
            if kind == "text_exact":
                question, choices = _reformat(source_question), list(reversed(source_choices))
            elif kind == "text_near":
                # An instruction added: a swapped word or number would be another problem (the content rule).
                question, choices = source_question + " Think step by step.", source_choices
            else:
                image = _encode(_figure(1_000_000 + target).resize((32, 32)), "JPEG", quality=75)
        prompt = [{"role": "user", "content": "<image>" + question}]
        extra = {"split": "train", "index": index, "id": f"t{index}", "answer": "1", "question": question}
        batch.append({"prompt": prompt, "images": [{"bytes": image}], "extra_info": {**extra, "choices": choices}})
        if len(batch) == 1024 or index == train_rows - 1:
            table = pa.Table.from_pylist(batch)
            writer = writer or pq.ParquetWriter(train_path, table.schema)
            writer.write_table(table.cast(writer.schema))
            batch = []
    assert writer is not None
    writer.close()
    return bench_path, train_path, planted


def _peaks() -> tuple[float, float]:
    """Peak RSS (MiB) of this process and of its waited-for children so far."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return own, children


def run_check(folder: Path, workers: int) -> dict[str, Any]:
    """One measured run (in this process): index, then the training pass."""
    from vision_r1_plugins.overlap import IndexConfig, check_overlap, load_index
    from vision_r1_plugins.overlap.check import OverlapConfig

    planted = {
        kind: {tuple(pair) for pair in pairs}
        for kind, pairs in json.loads((folder / "planted.json").read_text()).items()
    }
    bench, train = f"vision_r1={folder / 'bench.jsonl'}", folder / "train.parquet"
    started = time.perf_counter()
    load_index([bench], IndexConfig(workers=workers))  # the index phase alone, for its peak
    index_seconds = time.perf_counter() - started
    index_peak = _peaks()
    out = folder / f"out-{workers}"
    report = check_overlap(OverlapConfig((train,), (bench,), out, index=IndexConfig(workers=workers)))
    pairs = [json.loads(line) for line in (out / "pairs.jsonl").read_text().splitlines()]
    found = {(pair["train_index"], pair["benchmark_row"], pair["kind"]) for pair in pairs}
    recall = {
        kind: sum((i, b, kind) in found for i, b in pairs_) / max(1, len(pairs_)) for kind, pairs_ in planted.items()
    }
    expected = {(i, b, kind) for kind, pairs_ in planted.items() for i, b in pairs_}
    return {
        "workers": workers,
        "train_rows": report.training[0].input,
        "benchmark_rows": report.benchmarks[0].indexed,
        "index_seconds": index_seconds,
        "train_seconds": report.train_seconds,
        "index_peak_mib": index_peak[0],
        "peak_mib": _peaks()[0],
        "children_peak_mib": _peaks()[1],
        "recall": recall,
        "other_pairs": len(found - expected),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train-rows", type=int, default=200_000)
    parser.add_argument("--benchmark-rows", type=int, default=6_000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--keep", type=Path, help="Write the data here and keep it (default: a temporary folder).")
    parser.add_argument("--run", type=Path, help=argparse.SUPPRESS)  # internal: one measured run in this process
    args = parser.parse_args()
    if args.run is not None:
        print(json.dumps(run_check(args.run, args.workers[0])))
        return
    with tempfile.TemporaryDirectory() as temporary:
        folder = args.keep or Path(temporary)
        started = time.perf_counter()
        if not (folder / "planted.json").is_file():  # --keep DIR of an earlier run: its data is reused
            _, _, planted = write_data(folder, args.train_rows, args.benchmark_rows)
            (folder / "planted.json").write_text(json.dumps({kind: sorted(pairs) for kind, pairs in planted.items()}))
        data_seconds = time.perf_counter() - started
        results = []
        for workers in args.workers:
            command = [sys.executable, __file__, "--run", str(folder), "--workers", str(workers)]
            done = subprocess.run(command, capture_output=True, text=True, check=True)
            results.append(json.loads(done.stdout.strip().splitlines()[-1]))
    print(
        f"data: {args.train_rows} training rows, {args.benchmark_rows} benchmark rows written in {data_seconds:.0f} s\n"
    )
    print(
        "| workers | training rows | benchmark rows | index s | training s | rows/s | "
        "peak RSS index MiB | peak RSS MiB | workers' peak MiB | recall exact | recall near | recall image | "
        "other pairs |"
    )
    print("|" + " --- |" * 13)
    for result in results:
        recall = result["recall"]
        print(
            f"| {result['workers']} | {result['train_rows']:,} | "
            f"{result['benchmark_rows']:,} | "
            f"{result['index_seconds']:.1f} | {result['train_seconds']:.1f} | "
            f"{result['train_rows'] / result['train_seconds']:,.0f} | {result['index_peak_mib']:.0f} | "
            f"{result['peak_mib']:.0f} | {result['children_peak_mib']:.0f} | {recall['text_exact']:.3f} | "
            f"{recall['text_near']:.3f} | {recall['image']:.3f} | {result['other_pairs']} |"
        )


if __name__ == "__main__":
    main()
