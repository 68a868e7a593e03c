r"""Check an SFT dataset the way LLaMA-Factory will read it, then turn problems into verl's RL parquet.

    python examples/python/validate_and_convert.py --model Qwen/Qwen2.5-VL-7B-Instruct \
        --dataset-dir outputs/bridge-samples --dataset vision_r1_bridged [--out outputs/prepared]

The dataset is one registered in ``DATASET_DIR/dataset_info.json`` (``bridge_samples.py`` writes one); the model
is the policy whose tokenizer and processor measure the rows. Needs the ``sft`` and ``rl`` extras.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from vision_r1_plugins.llamafactory import ValidateConfig, validate_dataset
from vision_r1_plugins.verl import RLDataConfig, convert_rl_data

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--model", required=True, help="a model folder or hub name (Qwen2.5-VL)")
parser.add_argument("--dataset-dir", default="outputs/bridge-samples")
parser.add_argument("--dataset", default="vision_r1_bridged")
parser.add_argument("--cutoff-len", type=int, default=4096)
parser.add_argument("--problems", type=Path, default=Path("data/samples/problems/problems.jsonl"))
parser.add_argument("--out", type=Path, default=Path("outputs/prepared"))
args = parser.parse_args()

# SFT: every row checked with LLaMA-Factory's parser and template; the clean copy is registered in --out.
config = ValidateConfig(args.dataset_dir, args.dataset, args.model, cutoff_len=args.cutoff_len)
checked = validate_dataset(config, fix_dir=args.out)
print(f"validate: {checked.kept} of {checked.total} rows kept; rejected {dict(checked.rejected) or 'none'}")

# RL: problems to verl's parquet, each prompt measured with the policy's processor.
converted = convert_rl_data(RLDataConfig(args.problems, args.out / "rl", args.model, max_prompt_length=2048))
print(f"rl-data: {converted.kept} of {converted.input} rows kept -> {', '.join(map(str, converted.outputs.values()))}")
