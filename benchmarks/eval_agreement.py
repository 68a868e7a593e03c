"""Our judge-free scorer against the official verdicts, on the outputs MathVista and MathVision released.

    .venv/bin/python benchmarks/eval_agreement.py MATHVISTA_REPO_DIR [--models bard,gpt4] [--out DIR]
    .venv/bin/python benchmarks/eval_agreement.py --mathvision MATH_V_REPO_DIR [--models Qwen] [--out DIR]

MATHVISTA_REPO_DIR is a checkout of lupantech/MathVista: ``data/testmini.json`` and
``results/<model>/output_<name>.json``, each row holding the model's raw ``response`` and the official GPT-4
``extraction``. For every released model (program-of-thought "code" runs and the random baselines excluded:
their responses are programs or no responses at all):

* official: the accuracy recomputed from the released extractions with the official normalisation
  (``calculate_score.py``, re-derived in :mod:`vision_r1_plugins.eval.tasks.mathvista`);
* ours: ``vision-r1 eval score`` on the raw responses, ``--protocol official`` (and strict beside it);
* the difference and the share of rows whose verdict agrees.

A released row whose response is empty but whose extraction is not was extracted from a response the file
does not hold; those rows are counted (column "stale"), and the agreement and the difference are also given
without them.

MATH_V_REPO_DIR is a checkout of mathllm/MATH-V: ``data/test.jsonl`` and ``outputs/**/<model>.jsonl``, each row
holding ``id``, ``response``, the official ``model_answer`` and the official verdict ``correct`` (from
``evaluation/evaluate.py``, rule-based). Every model but the random baseline is scored the same way.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

from vision_r1_plugins.core.rows import BadRow, read_jsonl
from vision_r1_plugins.eval.items import EvalItem
from vision_r1_plugins.eval.row_record import read_records
from vision_r1_plugins.eval.score_responses import ScoreConfig, score_responses
from vision_r1_plugins.eval.tasks.mathvista import normalize

EXCLUDED = ("code", "random", "template")


def released_models(repo: Path) -> list[Path]:
    files = sorted((repo / "results").glob("*/output_*.json"))
    return [path for path in files if not any(word in str(path.relative_to(repo)) for word in EXCLUDED)]


def official_verdicts(rows: dict[str, dict]) -> dict[str, bool]:
    """True/false per pid from the released GPT-4 extraction, normalised the official way."""
    verdicts = {}
    for pid, row in rows.items():
        item = EvalItem(
            question=row.get("question", ""),
            answer=row["answer"],
            choices=row.get("choices"),
            question_type=row["question_type"],
            answer_type=row["answer_type"],
            precision=row.get("precision"),
        )
        extraction = row.get("extraction", "")
        extraction = extraction if isinstance(extraction, str) else str(extraction)
        verdicts[pid] = normalize(extraction, item) == row["answer"]
    return verdicts


def mathvision_models(repo: Path) -> list[Path]:
    """Every released output file but the random baseline's."""
    return sorted(path for path in (repo / "outputs").rglob("*.jsonl") if "random" not in path.name.lower())


def _read_jsonl(path: Path) -> dict[str, dict]:
    rows = {}
    for number, row in read_jsonl(path):
        if isinstance(row, BadRow):  # a released file we cannot read whole would skew the agreement table
            raise SystemExit(f"{path}:{number}: {row.reason}: {row.detail}")
        rows[str(row["id"])] = row
    return rows


def _selected(models: list[Path], names: str | None) -> list[Path]:
    """The output files whose names contain one of the comma-separated ``names`` (all without)."""
    return [path for path in models if not names or any(name in path.name for name in names.split(","))]


def _table_header(columns: str) -> None:
    print(columns)
    print("|" + "|".join("-" * len(cell) for cell in columns.split("|")[1:-1]) + "|")


def _mathvista(repo: Path, names: str | None, out_root: Path) -> int:
    data = repo / "data" / "testmini.json"
    models = _selected(released_models(repo), names)
    if not data.is_file() or not models:
        print(f"error: {repo} has no data/testmini.json or no results/*/output_*.json", file=sys.stderr)
        return 2
    _table_header(
        f"| {'model':<34} | official | ours | diff | strict | agree | stale | agree w/o stale | diff w/o stale |"
    )
    totals = {"rows": 0, "agree": 0, "clean_rows": 0, "clean_agree": 0}
    worst = worst_clean = 0.0
    started = time.perf_counter()
    for path in models:
        name = path.stem.removeprefix("output_")
        released = json.loads(path.read_text(encoding="utf-8"))
        verdicts = official_verdicts(released)
        run = out_root / name
        outcome = score_responses(ScoreConfig(path, "mathvista_testmini", data, run, "official"))
        records = {record.id: record for record in read_records(run / "rows.jsonl")}
        stale = {
            pid
            for pid, row in released.items()
            if not (row.get("response") or "").strip() and str(row.get("extraction") or "").strip()
        }
        agree = sum(records[pid].correct == verdict for pid, verdict in verdicts.items())
        clean = [pid for pid in verdicts if pid not in stale]
        clean_agree = sum(records[pid].correct == verdicts[pid] for pid in clean)
        official = 100 * sum(verdicts.values()) / len(verdicts)
        ours = 100 * outcome.report.accuracy_by_protocol["official"]
        strict = 100 * outcome.report.accuracy_by_protocol["strict"]
        clean_gap = 100 * (sum(records[pid].correct for pid in clean) - sum(verdicts[pid] for pid in clean))
        clean_gap /= max(len(clean), 1)
        worst, worst_clean = max(worst, abs(ours - official)), max(worst_clean, abs(clean_gap))
        totals["rows"] += len(verdicts)
        totals["agree"] += agree
        totals["clean_rows"] += len(clean)
        totals["clean_agree"] += clean_agree
        agreement, clean_agreement = 100 * agree / len(verdicts), 100 * clean_agree / max(len(clean), 1)
        print(
            f"| {name:<34} | {official:8.1f} | {ours:4.1f} | {ours - official:+4.1f} | {strict:6.1f} | "
            f"{agreement:4.1f}% | {len(stale):5d} | {clean_agreement:14.1f}% | {clean_gap:+14.1f} |"
        )
    print()
    print(
        f"{len(models)} models, {totals['rows']} rows: row agreement {100 * totals['agree'] / totals['rows']:.1f}% "
        f"({100 * totals['clean_agree'] / max(totals['clean_rows'], 1):.2f}% without stale rows); "
        f"largest accuracy gap {worst:.1f} points ({worst_clean:.1f} without stale rows); "
        f"{time.perf_counter() - started:.0f} s"
    )
    return 0


def _mathvision(repo: Path, names: str | None, out_root: Path) -> int:
    data = repo / "data" / "test.jsonl"
    models = _selected(mathvision_models(repo), names)
    if not data.is_file() or not models:
        print(f"error: {repo} has no data/test.jsonl or no outputs/**/*.jsonl", file=sys.stderr)
        return 2
    _table_header(f"| {'model':<34} | official | ours | diff | strict | agree |")
    rows = agree_total = 0
    worst = 0.0
    started = time.perf_counter()
    for path in models:
        released = _read_jsonl(path)
        run = out_root / path.stem.replace(" ", "_")
        outcome = score_responses(ScoreConfig(path, "mathvision", data, run, "official"))
        records = {record.id: record for record in read_records(run / "rows.jsonl")}
        verdicts = {row_id: bool(row["correct"]) for row_id, row in released.items() if row_id in records}
        agree = sum(records[row_id].correct == verdict for row_id, verdict in verdicts.items())
        official = 100 * sum(verdicts.values()) / len(verdicts)
        ours = 100 * sum(records[row_id].correct for row_id in verdicts) / len(verdicts)
        strict = 100 * outcome.report.accuracy_by_protocol["strict"]
        worst = max(worst, abs(ours - official))
        rows, agree_total = rows + len(verdicts), agree_total + agree
        print(
            f"| {path.stem:<34} | {official:8.1f} | {ours:4.1f} | {ours - official:+4.1f} | {strict:6.1f} | "
            f"{100 * agree / len(verdicts):4.1f}% |"
        )
    print()
    print(
        f"{len(models)} models, {rows} rows: row agreement {100 * agree_total / max(rows, 1):.2f}%; largest accuracy "
        f"gap {worst:.1f} points; {time.perf_counter() - started:.0f} s"
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("repo", type=Path, nargs="?", help="a checkout of lupantech/MathVista")
    parser.add_argument("--mathvision", type=Path, help="a checkout of mathllm/MATH-V (its released outputs)")
    parser.add_argument("--models", help="comma-separated substrings of output file names to keep")
    parser.add_argument("--out", type=Path, help="keep the score runs here (default: a temporary folder)")
    args = parser.parse_args()
    if args.repo is None and args.mathvision is None:
        parser.error("give a MathVista checkout, --mathvision MATH_V_CHECKOUT, or both")
    out_root = args.out or Path(tempfile.mkdtemp(prefix="eval-agreement-"))
    status = 0
    if args.repo is not None:
        status = _mathvista(args.repo, args.models, out_root / "mathvista")
    if args.mathvision is not None and status == 0:
        if args.repo is not None:
            print()
        status = _mathvision(args.mathvision, args.models, out_root / "mathvision")
    return status


if __name__ == "__main__":
    sys.exit(main())
