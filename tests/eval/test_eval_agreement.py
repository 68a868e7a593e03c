"""benchmarks/eval_agreement.py on fixtures in the layouts of MathVista's and MathVision's released results (rows
of our own; MathVision's ``model_answer`` and ``correct`` were computed by MATH-V's ``evaluation/evaluate.py``)."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

REPO = Path(__file__).resolve().parents[2]
FIXTURE = Path(__file__).with_name("fixtures") / "mathvista"
MATHVISION = Path(__file__).with_name("fixtures") / "mathvision_release"
SCRIPT = REPO / "benchmarks" / "eval_agreement.py"


def _script_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("eval_agreement", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_official_verdicts_recomputed_from_extractions_match_the_released_ones() -> None:
    released = json.loads((FIXTURE / "results" / "fixture_model" / "output_fixture_model.json").read_text())
    verdicts = _script_module().official_verdicts(released)
    assert verdicts == {pid: row["true_false"] for pid, row in released.items()}
    assert 0 < sum(verdicts.values()) < len(verdicts)


def test_the_agreement_table(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), str(FIXTURE), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if line.startswith("| fixture_model"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    assert cells[1] == "86.7" and cells[2] == "86.7" and cells[5] == "100.0%"
    assert "1 models, 30 rows: row agreement 100.0%" in result.stdout
    assert (tmp_path / "mathvista" / "fixture_model" / "rows.jsonl").is_file()


def test_a_folder_without_results_is_an_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), str(tmp_path)], capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 2 and "has no data/testmini.json" in result.stderr


def test_the_mathvision_agreement_table(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--mathvision", str(MATHVISION), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    released = [json.loads(line) for line in (MATHVISION / "outputs" / "fixture" / "Fixture-Model.jsonl").open()]
    ours = {
        row["id"]: row for row in map(json.loads, (tmp_path / "mathvision" / "Fixture-Model" / "rows.jsonl").open())
    }
    assert len(ours) == len(released) == 36
    differ = {row["id"] for row in released if ours[row["id"]]["correct"] != row["correct"]}
    # MATH-V's rule keeps whole sentences where a response puts its answer after prose ("Answer: E" on the last
    # line, <answer> tags, bold) or a unit on the value ("40degrees"); ours reads those answers, and nothing else
    # differs
    assert differ == {"6", "10", "21", "30", "35"}
    assert all(ours[row_id]["correct"] for row_id in differ)
    row = next(line for line in result.stdout.splitlines() if line.startswith("| Fixture-Model"))
    cells = [cell.strip() for cell in row.strip("|").split("|")]
    official = 100 * sum(row["correct"] for row in released) / len(released)
    assert cells[1] == f"{official:.1f}" and cells[2] == f"{official + 100 * len(differ) / 36:.1f}"
    assert cells[5] == f"{100 * (36 - len(differ)) / 36:.1f}%"
    assert "1 models, 36 rows" in result.stdout


def test_a_mathvision_folder_without_outputs_is_an_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--mathvision", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2 and "has no data/test.jsonl" in result.stderr
