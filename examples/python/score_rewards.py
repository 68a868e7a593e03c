"""Score responses with the Vision-R1 reward, the function verl, TRL and EasyR1 call.

    python examples/python/score_rewards.py [RESPONSES.jsonl]

Each line of the file holds ``response`` and ``ground_truth`` (default: the bundled data/samples/responses.jsonl).
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from vision_r1_plugins.reward import RewardOptions, compute_score, score_many

path = Path(sys.argv[1] if len(sys.argv) > 1 else "data/samples/responses.jsonl")
rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]

# One response, as verl calls it (reward.custom_reward_function.path=pkg://vision_r1_plugins.reward).
first = compute_score("vision_r1", rows[0]["response"], rows[0]["ground_truth"])
print(f"{rows[0]['id']}: score {first['score']}, read {first['pred']!r}, reason {first['reason']}")

# A batch, with typed options: the same verdicts, verifier processes kept busy.
results = score_many([row["response"] for row in rows], [row["ground_truth"] for row in rows], options=RewardOptions())
reasons = Counter(result["reason"] for result in results)
print(f"{sum(result['score'] for result in results):.0f} of {len(rows)} responses score 1.0; reasons: {dict(reasons)}")
