"""``import vision_r1_plugins.reward`` and scoring need only math-verify and the reader's lark and pint: no torch,
transformers or verl."""

from __future__ import annotations

import subprocess
import sys
import textwrap

HEAVY = ("torch", "transformers", "verl", "llamafactory", "ray", "datasets", "vllm")


def test_reward_works_with_heavy_packages_unimportable() -> None:
    script = textwrap.dedent(
        f"""
        import importlib.abc, sys
        HEAVY = {HEAVY!r}

        class Block(importlib.abc.MetaPathFinder):
            def find_spec(self, name, path=None, target=None):
                if name.split(".")[0] in HEAVY:
                    raise ImportError("blocked: " + name)
                return None

        sys.meta_path.insert(0, Block())
        from vision_r1_plugins.reward import compute_score
        from vision_r1_plugins.reward.adapters.easyr1 import compute_score as easyr1_score
        from vision_r1_plugins.reward.adapters.trl import vision_r1_reward
        r = compute_score("x", "<think>a</think><answer>\\\\frac{{1}}{{2}}</answer>", "0.5")
        assert r["score"] == 1.0, r
        assert vision_r1_reward(["<think>a</think><answer>4</answer>"], solution=["4"]) == [1.0]
        assert easyr1_score([{{"response": "<think>a</think><answer>4</answer>", "ground_truth": "5"}}]) == [
            {{"overall": 0.0, "format": 1.0, "accuracy": 0.0}}]
        loaded = sorted(name for name in sys.modules if name.split(".")[0] in HEAVY)
        assert not loaded, loaded
        print("light")
        """
    )
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-3000:]
    assert completed.stdout.strip().endswith("light")
