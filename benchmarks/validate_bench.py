"""`vision-r1 lf validate` vs LLaMA-Factory's own preprocessing of the same rows, in one run.

    .venv/bin/python benchmarks/validate_bench.py [--rows 20000] [--workers 2]

Both sides read the same registered sharegpt dataset (single-image rows, 640x480+ images, ~1K-token answers)
with the same tokenizer and processor (the tiny offline Qwen2.5-VL, its image limits set to Qwen2.5-VL's real
ones so image token counts are realistic). LLaMA-Factory runs `get_dataset` for SFT with
preprocessing_num_workers=N, which decodes every image to size it; the validator reads image headers only.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

from vision_r1_plugins.llamafactory.validate import ValidateConfig, validate_dataset
from vision_r1_plugins.testing.synthetic import write_sharegpt_dataset
from vision_r1_plugins.testing.tiny import build_tiny_qwen2_5_vl

QWEN2_5_VL_PIXELS = {"shortest_edge": 3136, "longest_edge": 12845056}


def model_with_real_image_limits(root: Path) -> Path:
    model = build_tiny_qwen2_5_vl(root / "model")
    config_path = model / "processor_config.json"
    config = json.loads(config_path.read_text())
    for key in ("image_processor", "video_processor"):
        if key in config:
            config[key]["size"] = dict(QWEN2_5_VL_PIXELS)
    config_path.write_text(json.dumps(config, indent=2))
    return model


def run_llamafactory(model: Path, data_dir: Path, cutoff_len: int, workers: int, cache: Path) -> int:
    from llamafactory.data import get_dataset, get_template_and_fix_tokenizer
    from llamafactory.hparams import get_train_args
    from llamafactory.model import load_tokenizer

    model_args, data_args, training_args, _, _ = get_train_args({
        "model_name_or_path": str(model), "stage": "sft", "do_train": True, "finetuning_type": "full",
        "dataset": "bench", "dataset_dir": str(data_dir), "template": "qwen2_vl", "cutoff_len": cutoff_len,
        "preprocessing_num_workers": workers, "overwrite_cache": True, "output_dir": str(cache / "out"),
        "report_to": "none",
    })  # fmt: skip
    tokenizer_module = load_tokenizer(model_args)
    template = get_template_and_fix_tokenizer(tokenizer_module["tokenizer"], data_args)
    module = get_dataset(template, model_args, data_args, training_args, stage="sft", **tokenizer_module)
    return len(module["train_dataset"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--images", type=int, default=500, help="distinct image files the rows cycle through")
    parser.add_argument("--cutoff-len", type=int, default=4096)
    args = parser.parse_args()

    root = Path(tempfile.mkdtemp(prefix="validate-bench-"))
    os.environ["HF_DATASETS_CACHE"] = str(root / "hf-cache")
    try:
        model = model_with_real_image_limits(root)
        data_dir = root / "data"
        write_sharegpt_dataset(
            data_dir, "bench", rows=args.rows, images=args.images, thinking_words=600, image_size=(640, 480)
        )
        print(
            f"{args.rows} rows, {args.images} distinct 640x480+ PNGs, {args.workers} processes, "
            f"cutoff_len {args.cutoff_len}, {os.cpu_count()} CPUs"
        )

        start = time.perf_counter()
        report = validate_dataset(
            ValidateConfig(str(data_dir), "bench", str(model), cutoff_len=args.cutoff_len, num_workers=args.workers)
        )
        ours = time.perf_counter() - start

        start = time.perf_counter()
        lf_rows = run_llamafactory(model, data_dir, args.cutoff_len, args.workers, root)
        theirs = time.perf_counter() - start

        print()
        print(f"| {'pass':<42} | {'rows':>6} | {'seconds':>8} | {'rows/s':>8} |")
        print(f"|{'-' * 44}|{'-' * 8}|{'-' * 10}|{'-' * 10}|")
        print(
            f"| {'vision-r1 lf validate (header sizing)':<42} | {report.total:>6} | {ours:>8.1f} | "
            f"{report.total / ours:>8.0f} |"
        )
        print(
            f"| {'LLaMA-Factory get_dataset (sft preprocessing)':<42} | {lf_rows:>6} | {theirs:>8.1f} | "
            f"{lf_rows / theirs:>8.0f} |"
        )
        print()
        print(
            f"validate: {report.kept} kept, {report.rejected_total} rejected, mean {report.mean_tokens:.0f} tokens; "
            f"{theirs / ours:.1f}x LLaMA-Factory's preprocessing speed"
        )
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
