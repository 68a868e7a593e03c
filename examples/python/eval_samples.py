r"""Evaluate a served model on the bundled sample problems, then re-score its responses from a file.

    python examples/python/eval_samples.py --base-url http://localhost:8000/v1 --model Vision-R1-7B \
        [--out outputs/eval]

``evaluate`` asks every question and scores the answers by the benchmark's rule (here the project's own
``vision_r1`` layout; MathVista and the others are registered too). ``score_responses`` scores responses that
already exist, e.g. from another harness: a JSONL of ``id`` and ``response``. Without a GPU:
``python -m vision_r1_plugins.testing.fake_server --port 8000`` answers arithmetic (the default model name works).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

from vision_r1_plugins.eval import BackendConfig, EvalConfig, ScoreConfig, evaluate, make_backend, score_responses

parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
parser.add_argument("--base-url", default=os.environ.get("VISION_R1_BASE_URL", "http://localhost:8000/v1"))
parser.add_argument("--model", default="fake-mllm")
parser.add_argument("--problems", type=Path, default=Path("data/samples/problems/problems.jsonl"))
parser.add_argument("--out", type=Path, default=Path("outputs/eval-samples"))
args = parser.parse_args()

backend = make_backend(BackendConfig("openai", args.model, args.base_url, concurrency=8))
report = evaluate(EvalConfig(args.problems, args.out / "run", resume=True), backend)
print(f"evaluate: accuracy {report.accuracy:.3f} over {report.rows} rows ({report.failed} failed requests)")

# The same responses as a plain responses file, scored without asking the model again.
responses = args.out / "responses.jsonl"
rows = [json.loads(line) for line in Path(report.paths["rows"]).read_text(encoding="utf-8").splitlines()]
responses.write_text("".join(json.dumps({"id": row["id"], "response": row["response"]}) + "\n" for row in rows))
scored = score_responses(ScoreConfig(responses, "vision_r1", args.problems, args.out / "scored"))
print(f"score_responses: accuracy {scored.report.accuracy:.3f}, {scored.unmatched} responses matched no row")
