"""`vision-r1 lf validate` (default image checks and --decode-images) vs LLaMA-Factory's own preprocessing of the
same rows, in one run.

    .venv/bin/python benchmarks/validate_bench.py [--rows 20000] [--workers 2] [--image-format jpg|png]
        [--no-llamafactory] [--keep DIR | --reuse DIR]

Both sides read the same registered sharegpt dataset (single-image rows, 640x480+ images, ~1K-token answers)
with the same tokenizer and processor (the tiny offline Qwen2.5-VL, its image limits set to Qwen2.5-VL's real
ones so image token counts are realistic). LLaMA-Factory runs `get_dataset` for SFT with
preprocessing_num_workers=N, which decodes every image to size it; the validator reads image headers and checks
integrity (JPEG end marker, PNG chunk CRCs), or decodes every image with --decode-images. `--keep DIR` leaves the
dataset and model in DIR; `--reuse DIR` measures on them again (with another checkout on PYTHONPATH: before/after).
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

import vision_r1_plugins
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

    model_args, data_args, training_args, _, _ = get_train_args(
        {
            "model_name_or_path": str(model),
            "stage": "sft",
            "do_train": True,
            "finetuning_type": "full",
            "dataset": "bench",
            "dataset_dir": str(data_dir),
            "template": "qwen2_vl",
            "cutoff_len": cutoff_len,
            "preprocessing_num_workers": workers,
            "overwrite_cache": True,
            "output_dir": str(cache / "out"),
            "report_to": "none",
        }
    )
    tokenizer_module = load_tokenizer(model_args)
    template = get_template_and_fix_tokenizer(tokenizer_module["tokenizer"], data_args)
    module = get_dataset(template, model_args, data_args, training_args, stage="sft", **tokenizer_module)
    return len(module["train_dataset"])


def _row(label: str, rows: int, seconds: float) -> str:
    return f"| {label:<46} | {rows:>6} | {seconds:>8.1f} | {rows / seconds:>8.0f} |"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--images", type=int, default=500, help="distinct image files the rows cycle through")
    parser.add_argument("--image-format", choices=("jpg", "png"), default="jpg")
    parser.add_argument("--cutoff-len", type=int, default=4096)
    parser.add_argument("--no-llamafactory", action="store_true", help="measure the validator only")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--keep", type=Path, help="build the dataset and model in DIR and leave them there")
    where.add_argument("--reuse", type=Path, help="measure on a DIR left by --keep")
    args = parser.parse_args()

    root = args.reuse or args.keep or Path(tempfile.mkdtemp(prefix="validate-bench-"))
    os.environ["HF_DATASETS_CACHE"] = str(root / "hf-cache")
    try:
        model, data_dir = root / "model", root / "data"
        if args.reuse is None:
            model = model_with_real_image_limits(root)
            write_sharegpt_dataset(
                data_dir,
                "bench",
                rows=args.rows,
                images=args.images,
                thinking_words=600,
                image_size=(640, 480),
                image_format=args.image_format,
            )
        rows = len(json.loads((data_dir / "bench.json").read_text()))
        formats = sorted({p.suffix for p in (data_dir / "images").iterdir()})
        print(
            f"{rows} rows, {len(list((data_dir / 'images').iterdir()))} distinct 640x480+ images {formats}, "
            f"{args.workers} processes, cutoff_len {args.cutoff_len}, {os.cpu_count()} CPUs; "
            f"validator from {Path(vision_r1_plugins.__file__).parent}"
        )

        lines = []
        for label, decode in (
            ("vision-r1 lf validate (default)", False),
            ("vision-r1 lf validate --decode-images", True),
        ):
            config = ValidateConfig(
                str(data_dir),
                "bench",
                str(model),
                cutoff_len=args.cutoff_len,
                num_workers=args.workers,
                decode_images=decode,
            )
            start = time.perf_counter()
            report = validate_dataset(config)
            lines.append(_row(label, report.total, time.perf_counter() - start))
        if not args.no_llamafactory:
            start = time.perf_counter()
            lf_rows = run_llamafactory(model, data_dir, args.cutoff_len, args.workers, root)
            lines.append(_row("LLaMA-Factory get_dataset (sft preprocessing)", lf_rows, time.perf_counter() - start))

        print()
        print(f"| {'pass':<46} | {'rows':>6} | {'seconds':>8} | {'rows/s':>8} |")
        print(f"|{'-' * 48}|{'-' * 8}|{'-' * 10}|{'-' * 10}|")
        print("\n".join(lines))
        print()
        print(f"validate: {report.kept} kept, {report.rejected_total} rejected, mean {report.mean_tokens:.0f} tokens")
    finally:
        if args.keep is None and args.reuse is None:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
