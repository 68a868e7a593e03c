"""Our judge-free MathVista scorer against the official verdicts, on the models MathVista released.

    .venv/bin/python benchmarks/eval_agreement.py MATHVISTA_REPO_DIR [--models bard,gpt4] [--out DIR]

MATHVISTA_REPO_DIR is a checkout of lupantech/MathVista: ``data/testmini.json`` and
``results/<model>/output_<name>.json``, each row holding the model's raw ``response`` and the official GPT-4
``extraction``. For every released model (program-of-thought "code" runs and the random baselines excluded:
their responses are programs or no responses at all):

* official: the accuracy recomputed from the released extractions with the official normalisation
  (``calculate_score.py``, re-derived in :mod:`vision_r1_plugins.eval.benchmarks.mathvista`);
* ours: ``vision-r1 eval score`` on the raw responses, ``--protocol official`` (and strict beside it);
* the difference and the share of rows whose verdict agrees.

A released row whose response is empty but whose extraction is not was extracted from a response the file
does not hold; those rows are counted (column "stale") and the agreement is also given without them.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from vision_r1_plugins.eval.benchmarks.mathvista import normalize
from vision_r1_plugins.eval.items import EvalItem
from vision_r1_plugins.eval.records import read_records
from vision_r1_plugins.eval.score import ScoreConfig, score_responses

EXCLUDED = ("code", "random", "template")


def released_models(repo: Path) -> list[Path]:
    files = sorted((repo / "results").glob("*/output_*.json"))
    return [path for path in files if not any(word in str(path.relative_to(repo)) for word in EXCLUDED)]


def official_verdicts(rows: dict[str, dict]) -> dict[str, bool]:
    """True/false per pid from the released GPT-4 extraction, normalised the official way."""
    verdicts = {}
    for pid, row in rows.items():
        item = EvalItem(question=row.get("question", ""), answer=row["answer"], choices=row.get("choices"),
                        question_type=row["question_type"], answer_type=row["answer_type"],
                        precision=row.get("precision"))  # fmt: skip
        extraction = row.get("extraction", "")
        extraction = extraction if isinstance(extraction, str) else str(extraction)
        verdicts[pid] = normalize(extraction, item) == row["answer"]
    return verdicts


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("repo", type=Path, help="a checkout of lupantech/MathVista")
    parser.add_argument("--models", help="comma-separated substrings of output file names to keep")
    parser.add_argument("--out", type=Path, help="keep the score runs here (default: a temporary folder)")
    args = parser.parse_args()
    data = args.repo / "data" / "testmini.json"
    models = released_models(args.repo)
    if args.models:
        models = [path for path in models if any(name in path.name for name in args.models.split(","))]
    if not data.is_file() or not models:
        print(f"error: {args.repo} has no data/testmini.json or no results/*/output_*.json", file=sys.stderr)
        return 2
    out_root = args.out or Path(tempfile.mkdtemp(prefix="eval-agreement-"))
    header = f"| {'model':<34} | official | ours | diff | strict | agree | stale | agree w/o stale |"
    print(header)
    print("|" + "|".join("-" * (len(cell)) for cell in header.split("|")[1:-1]) + "|")
    totals = {"rows": 0, "agree": 0, "clean_rows": 0, "clean_agree": 0}
    worst = 0.0
    started = time.perf_counter()
    for path in models:
        name = path.stem.removeprefix("output_")
        released = json.loads(path.read_text(encoding="utf-8"))
        verdicts = official_verdicts(released)
        run = out_root / name
        outcome = score_responses(ScoreConfig(path, "mathvista_testmini", data, run, "official"))
        records = {record.id: record for record in read_records(run / "rows.jsonl")}
        stale = {pid for pid, row in released.items()
                 if not (row.get("response") or "").strip() and str(row.get("extraction") or "").strip()}  # fmt: skip
        agree = sum(records[pid].correct == verdict for pid, verdict in verdicts.items())
        clean = [pid for pid in verdicts if pid not in stale]
        clean_agree = sum(records[pid].correct == verdicts[pid] for pid in clean)
        official = 100 * sum(verdicts.values()) / len(verdicts)
        ours = 100 * outcome.report.accuracy_by_protocol["official"]
        strict = 100 * outcome.report.accuracy_by_protocol["strict"]
        worst = max(worst, abs(ours - official))
        totals["rows"] += len(verdicts)
        totals["agree"] += agree
        totals["clean_rows"] += len(clean)
        totals["clean_agree"] += clean_agree
        agreement, clean_agreement = 100 * agree / len(verdicts), 100 * clean_agree / max(len(clean), 1)
        print(f"| {name:<34} | {official:8.1f} | {ours:4.1f} | {ours - official:+4.1f} | {strict:6.1f} | "
              f"{agreement:4.1f}% | {len(stale):5d} | {clean_agreement:14.1f}% |")  # fmt: skip
    print()
    print(f"{len(models)} models, {totals['rows']} rows: row agreement {100 * totals['agree'] / totals['rows']:.1f}% "
          f"({100 * totals['clean_agree'] / max(totals['clean_rows'], 1):.1f}% without stale rows); "
          f"largest accuracy gap {worst:.1f} points; {time.perf_counter() - started:.0f} s")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
