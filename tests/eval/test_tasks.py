"""Each registered benchmark: its official rule, and ``vision-r1 eval score`` end to end on a fixture written in
its released layout (tests/eval/fixtures, rows of our own in the benchmark's field names and spellings)."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from vision_r1_plugins.cli import app
from vision_r1_plugins.eval.benchmark_file import read_benchmark
from vision_r1_plugins.eval.extraction import Extraction, extract
from vision_r1_plugins.eval.items import EvalItem
from vision_r1_plugins.eval.tasks import BENCHMARKS, get_benchmark
from vision_r1_plugins.eval.tasks.dynamath import official as dynamath_official
from vision_r1_plugins.eval.tasks.mathvista import nearest_option, normalize
from vision_r1_plugins.eval.tasks.mathvista import official as mathvista_official
from vision_r1_plugins.eval.tasks.mm_math import items_of
from vision_r1_plugins.eval.tasks.mm_math import official as mm_math_official
from vision_r1_plugins.eval.tasks.wemath import first_letter, parse_options

FIXTURES = Path(__file__).with_name("fixtures")
runner = CliRunner()


def _score(responses: list[dict], benchmark: str, data: Path, out: Path, *extra: str) -> dict:
    path = out.parent / f"{out.name}-responses.jsonl"
    path.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in responses), encoding="utf-8")
    result = runner.invoke(
        app, ["eval", "score", str(path), "--benchmark", benchmark, "--data", str(data), "--out", str(out), *extra]
    )
    assert result.exit_code == 0, result.output
    summary = json.loads((out / "summary.json").read_text())
    rows = [json.loads(line) for line in (out / "rows.jsonl").read_text().splitlines()]
    assert len(rows) == summary["rows"]
    assert all({"id", "correct", "extracted", "normalized", "method"} <= set(row) for row in rows)
    table = list(csv.DictReader(io.StringIO((out / "results.csv").read_text(encoding="utf-8"))))
    assert len(table) == summary["rows"]
    return summary


def test_every_paper_benchmark_is_registered() -> None:
    assert {
        "mathvista_testmini",
        "mathvista_test",
        "mathverse_testmini",
        "mm_math",
        "dynamath",
        "mathvision",
        "wemath",
        "vision_r1",
    } <= set(BENCHMARKS)


# --- MathVista -------------------------------------------------------------------------------------------------

MC = EvalItem("q", "8/11", ("3/11", "8/11", "6/11", "3/5"), question_type="multi_choice")


@pytest.mark.parametrize(
    ("extraction", "expected"),
    [
        ("B", "8/11"),
        ("(B) 8/11", "8/11"),  # a parenthesised letter wins
        ("(b)", "8/11"),
        ("8/11", "8/11"),
        ("E", "3/5"),  # a letter beyond the options is mapped like any string: three edits from "3/5"
        ("N/A", "3/5"),  # "3/5" is two edits from "N/A", every other option three or more
        ("", "3/5"),  # the shortest option is nearest to nothing
    ],
)
def test_mathvista_maps_any_multiple_choice_extraction_to_an_option(extraction: str, expected: str) -> None:
    assert normalize(extraction, MC) == expected


def test_mathvista_nearest_option_breaks_ties_by_order() -> None:
    assert nearest_option("ab", ["ax", "ay"]) == "ax"


@pytest.mark.parametrize(
    ("answer_type", "precision", "extraction", "expected"),
    [
        ("integer", None, "12.7", "12"),  # int(float(x)) truncates
        ("integer", None, "12 cm", None),  # the official rule reads bare values only
        ("float", 1, "0.25", "0.2"),  # Python's round: half to even
        ("float", 2, "-0.0", "-0.0"),
        ("list", None, "[2007, 2008]", "[2007, 2008]"),
    ],
)
def test_mathvista_typed_normalisation(
    answer_type: str, precision: int | None, extraction: str, expected: str | None
) -> None:
    item = EvalItem("q", "1", answer_type=answer_type, precision=precision)
    assert normalize(extraction, item) == expected


@pytest.mark.parametrize(
    ("response", "gold", "correct"),
    [
        ("The perimeter of the rectangle is 10 cm.", "10", True),
        ("Therefore, the answer to the question is 2.", "2", True),
        ("-0.0", "0.0", True),  # bare_answer drops the sign of zero, as float("-0.0") rounds to "-0.0" officially
        ("The share is 80%.", "80", True),
        ("\\boxed{30} was my first guess. So the answer is 40.", "40", True),
    ],
)
def test_mathvista_official_reads_prose_answers(response: str, gold: str, correct: bool) -> None:
    item = EvalItem("q", gold, answer_type="float" if "." in gold else "integer", precision=1 if "." in gold else None)
    assert mathvista_official(response, extract(response), item).correct is correct


def test_mathvista_official_gives_chance_credit_strict_does_not(tmp_path: Path) -> None:
    rows = {
        "1": {
            "question": "Is it?",
            "choices": ["Yes", "No"],
            "unit": None,
            "precision": None,
            "answer": "Yes",
            "question_type": "multi_choice",
            "answer_type": "text",
            "pid": "1",
            "metadata": {"category": "general-vqa", "task": "visual question answering"},
        }
    }
    data = tmp_path / "testmini.json"
    data.write_text(json.dumps(rows))
    # No answer at all: the official rule maps "N/A" to the nearest option ("Yes": 3 edits, "No": 2 edits).
    summary = _score(
        [{"pid": "1", "response": "I am not sure what the picture shows here."}],
        "mathvista_testmini",
        data,
        tmp_path / "run",
    )
    assert summary["accuracy_by_protocol"] == {"official": 0.0, "strict": 0.0}
    rows["1"]["answer"] = "No"
    data.write_text(json.dumps(rows))
    summary = _score(
        [{"pid": "1", "response": "I am not sure what the picture shows here."}],
        "mathvista_testmini",
        data,
        tmp_path / "run2",
    )
    assert summary["accuracy_by_protocol"] == {"official": 1.0, "strict": 0.0}


# --- MathVerse -------------------------------------------------------------------------------------------------


def test_mathverse_end_to_end_with_versions_and_the_vision_only_subset(tmp_path: Path) -> None:
    data = FIXTURES / "mathverse" / "testmini.json"
    rows, invalid = read_benchmark(data, get_benchmark("mathverse_testmini"), images=False)
    assert len(rows) == 15 and not invalid
    assert rows[0].item.choices and rows[0].item.question_type == "multi_choice"
    assert [row.subsets for row in rows].count(("vision_only",)) == 3
    answers = {row.id: row.item.answer for row in rows}
    responses = []
    for index, (row_id, gold) in enumerate(answers.items()):
        if index == 0:
            continue  # a missing response counts as wrong
        reply = gold if index % 4 else "A"  # every 4th is wrong (the gold is never A)
        responses.append({"sample_index": row_id, "response": f"<think>...</think><answer>{reply}</answer>"})
    summary = _score(responses, "mathverse_testmini", data, tmp_path / "run")
    assert summary["rows"] == 15 and summary["missing"] == 1 and summary["scored"] == 14
    assert summary["correct_by_protocol"]["official"] == 14 - 3  # rows 4, 8, 12 are wrong
    assert set(summary["breakdowns"]["problem_version"]) == {
        "Text Dominant",
        "Text Lite",
        "Vision Intensive",
        "Vision Dominant",
        "Vision Only",
    }
    assert summary["subsets"]["vision_only"]["rows"] == 3


def test_mathverse_accepts_the_option_value_for_a_letter() -> None:
    spec = get_benchmark("mathverse_testmini")
    item = EvalItem(
        "Then angle R is ()\nChoices:\nA:35°\nB:55°\nC:65°\nD:125°",
        "B",
        ("35°", "55°", "65°", "125°"),
        question_type="multi_choice",
    )
    assert spec.official("", Extraction("55°", "statement"), item).correct
    assert not spec.official("", Extraction("65°", "statement"), item).correct


# --- MM-Math ---------------------------------------------------------------------------------------------------


def test_mm_math_items_split_at_commas_and_pm() -> None:
    assert items_of(["2, 3"]) == ["2", "3"]
    assert items_of(["(1, 2)", "x \\pm 1"]) == ["(1, 2)", "x + 1", "x - 1"]


@pytest.mark.parametrize(
    ("response", "golds", "correct"),
    [
        ("So $b=\\boxed{3}$ and $k=\\boxed{2}$.", ("2", "3"), True),  # unordered
        ("\\boxed{2, 3}", ("2", "3"), True),
        ("\\boxed{2}", ("2", "3"), False),  # one box for two answers
        ("\\boxed{3.14}", ("\\pi",), True),  # within 1e-2
        ("\\boxed{3.1}", ("\\pi",), False),
        ("\\boxed{50}", ("0.5",), True),  # the official percent rule: 100 times the gold
        ("\\boxed{\\frac{1}{2}}", ("0.5",), True),
    ],
)
def test_mm_math_official_rule(response: str, golds: tuple[str, ...], correct: bool) -> None:
    item = EvalItem("q", ", ".join(golds), golds=golds)
    assert mm_math_official(response, extract(response), item).correct is correct


def test_mm_math_end_to_end_reads_golds_from_the_solution(tmp_path: Path) -> None:
    data = FIXTURES / "mm_math" / "mm_math.jsonl"
    rows, _ = read_benchmark(data, get_benchmark("mm_math"), images=False)
    assert len(rows) == 8 and rows[1].item.golds == ("2", "3")
    responses = [
        {
            "file_name": row.id,
            "response": "Therefore " + " and ".join(f"\\boxed{{{g}}}" for g in reversed(row.item.golds)),
        }
        for row in rows
    ]
    responses[0]["response"] = "The answer is \\boxed{60^{\\circ}}."  # wrong
    broken = tmp_path / "mm.jsonl"
    unboxed = {"question": "q", "file_name": "x.png", "solution": "no box here", "difficult": "容易"}
    broken.write_text(
        data.read_text(encoding="utf-8") + json.dumps(unboxed, ensure_ascii=False) + "\n", encoding="utf-8"
    )
    summary = _score(responses, "mm_math", broken, tmp_path / "run")
    assert summary["correct_by_protocol"]["official"] == 7 and summary["rows"] == 8
    assert summary["invalid_rows"] == 1  # the row whose solution boxes nothing is reported, not scored
    assert set(summary["breakdowns"]["difficult"]) == {"容易", "普通", "困难"}
    invalid = (tmp_path / "run" / "invalid.jsonl").read_text(encoding="utf-8")
    assert "missing_answer" in invalid and "no \\\\boxed{} answer" in invalid


# --- DynaMath --------------------------------------------------------------------------------------------------


def test_dynamath_reads_ten_variants_and_reports_the_worst_case(tmp_path: Path) -> None:
    data = FIXTURES / "dynamath" / "10trials"
    rows, invalid = read_benchmark(data, get_benchmark("dynamath"), images=False)
    assert len(rows) == 30 and not invalid and rows[0].id == "1:1" and rows[0].group == "1"
    responses = []
    for row in rows:
        answer = row.item.answer
        if row.group == "1" and row.id.endswith(":7"):
            answer = "999"  # one variant of seed 1 wrong: seed 1 fails the worst case
        responses.append({"id": row.id, "response": f'{{"solution": "...", "short answer": "{answer}"}}'})
    summary = _score(responses, "dynamath", data, tmp_path / "run")
    assert summary["accuracy_by_protocol"]["official"] == pytest.approx(29 / 30)
    assert summary["worst_case"]["groups"] == 3 and summary["worst_case"]["official"] == pytest.approx(2 / 3)


@pytest.mark.parametrize(
    ("answer", "gold", "answer_type", "correct"),
    [
        ("2.0944", "2.094", "float", True),  # within 0.001
        ("2.096", "2.094", "float", False),
        ("B", "B", "multiple choice", True),
        ("(B) no", "B", "multiple choice", True),  # the gold letter in the first three characters
        ("the point (3, -5)", "(3, -5)", "text", True),  # substring
        ("(3,-5)", "(3, -5)", "text", False),
    ],
)
def test_dynamath_official_rule(answer: str, gold: str, answer_type: str, correct: bool) -> None:
    multi_choice = answer_type == "multiple choice"
    question = "Is it? Choices: (A) yes (B) no" if multi_choice else "q"
    item = EvalItem(
        question,
        gold,
        ("yes", "no") if multi_choice else None,
        question_type="multi_choice" if multi_choice else "free_form",
        answer_type={"float": "float"}.get(answer_type, "text"),
    )
    assert dynamath_official("", Extraction(answer, "answer_tag"), item).correct is correct


# --- MathVision ------------------------------------------------------------------------------------------------


def test_mathvision_is_multiple_choice_iff_it_has_options(tmp_path: Path) -> None:
    data = FIXTURES / "mathvision" / "testmini.jsonl"
    rows, _ = read_benchmark(data, get_benchmark("mathvision"), images=False)
    kinds = [row.item.question_type for row in rows]
    assert kinds == ["multi_choice"] * 4 + ["free_form"] * 4
    replies = {
        "3101": "d",
        "3102": "B",
        "3103": "\\boxed{8}",
        "3104": "C",
        "3105": "7.001",
        "3106": "2.50",
        "3107": "0.333",
        "3108": "(3, -4)",
    }
    summary = _score(
        [{"id": key, "response": f"The answer is {value}."} for key, value in replies.items()],
        "mathvision",
        data,
        tmp_path / "run",
    )
    rows_out = {row["id"]: row["correct"] for row in map(json.loads, (tmp_path / "run" / "rows.jsonl").open())}
    # Letters are case-insensitive, an option's value counts, numbers are equal after rounding to 2 decimals.
    assert rows_out == {
        "3101": True,
        "3102": False,
        "3103": True,
        "3104": True,
        "3105": True,
        "3106": True,
        "3107": True,
        "3108": True,
    }
    assert summary["correct_by_protocol"]["official"] == 7


# --- WeMath ----------------------------------------------------------------------------------------------------


def test_wemath_options_and_the_first_letter_rule(tmp_path: Path) -> None:
    assert parse_options("A. 8;B. 15; C. 16;D. 30; E. No correct answer") == (
        "8",
        "15",
        "16",
        "30",
        "No correct answer",
    )
    assert first_letter("<Thought process>: ... <Answer>: C") == "C"
    assert first_letter("Answer: (C)") is None  # the official rule reads "(" and gives up
    data = FIXTURES / "wemath" / "testmini.json"
    rows, _ = read_benchmark(data, get_benchmark("wemath"), images=False)
    responses = [
        {"question number": row.id, "response": f"<think>..</think><answer>{row.item.answer}</answer>"} for row in rows
    ]
    responses[0]["response"] = "<Thought process>: ... <Answer>: A"  # wrong (gold C), read the official way
    summary = _score(responses, "wemath", data, tmp_path / "run")
    assert summary["correct_by_protocol"]["official"] == 9 and summary["rows"] == 10
    assert "2steps_multi" in summary["breakdowns"]["key"]


# --- eval score's inputs ---------------------------------------------------------------------------------------


def test_score_reads_mathvista_results_and_reports_unmatched_responses(tmp_path: Path) -> None:
    data = tmp_path / "testmini.json"
    metadata = {"category": "math-targeted-vqa", "task": "math word problem"}
    base = {
        "question": "How many?",
        "choices": None,
        "unit": None,
        "precision": None,
        "question_type": "free_form",
        "answer_type": "integer",
        "metadata": metadata,
    }
    data.write_text(json.dumps({str(pid): {**base, "pid": str(pid), "answer": str(pid)} for pid in range(1, 5)}))
    released = {str(pid): {"response": f"There are {pid} of them."} for pid in range(1, 4)}
    released["99"] = {"response": "7"}
    responses = tmp_path / "output_model.json"
    responses.write_text(json.dumps(released))
    result = runner.invoke(
        app,
        [
            "eval",
            "score",
            str(responses),
            "--benchmark",
            "mathvista_testmini",
            "--data",
            str(data),
            "--out",
            str(tmp_path / "run"),
        ],
    )
    assert result.exit_code == 0, result.output
    flat = " ".join(result.output.split())
    assert (
        "1 rows with no response (counted wrong)" in flat and "1 responses to ids the benchmark does not have" in flat
    )
    summary = json.loads((tmp_path / "run" / "summary.json").read_text())
    assert summary["accuracy"] == 0.75 and summary["missing"] == 1


def test_score_mistakes_are_one_line_errors(tmp_path: Path) -> None:
    data = FIXTURES / "mathvision" / "testmini.jsonl"
    responses = tmp_path / "r.jsonl"
    responses.write_text(json.dumps({"id": "nope", "response": "A"}) + "\n")
    cases = [
        (["--benchmark", "mathvision", "--protocol", "lenient"], "unknown protocol 'lenient'"),
        (["--benchmark", "nope"], "unknown benchmark 'nope'"),
        (["--benchmark", "mathvision"], "no response in"),
        (["--benchmark", "mathvision", "--judge-url", "http://127.0.0.1:9/v1"], "give --judge-url and --judge-model"),
    ]
    for extra, message in cases:
        result = runner.invoke(
            app, ["eval", "score", str(responses), "--data", str(data), "--out", str(tmp_path / "run"), *extra]
        )
        assert result.exit_code == 2, result.output
        assert message in " ".join(result.output.split())


def test_dynamath_reads_the_hf_split_files(tmp_path: Path) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    for variant in (1, 2):
        rows = [
            {
                "id": "17",
                "question": "What is the slope?",
                "ground_truth": str(0.5 * variant),
                "answer_type": "float",
                "subject": "algebra",
                "knowledge_level": "high school",
            }
        ]
        pq.write_table(pa.Table.from_pylist(rows), tmp_path / f"sample_variant{variant}-00000-of-00001.parquet")
    rows, invalid = read_benchmark(tmp_path, get_benchmark("dynamath"), images=False)
    read = [(row.id, row.item.answer, row.group) for row in rows]
    assert not invalid and read == [("17:1", "0.5", "17"), ("17:2", "1.0", "17")]
    assert rows[0].breakdown == {"subject": "algebra", "level": "high school"}


def test_score_reads_vlmevalkit_and_lmms_eval_prediction_files(tmp_path: Path) -> None:
    data = FIXTURES / "mathvision" / "testmini.jsonl"
    table = tmp_path / "model_MathVision_MINI.tsv"
    table.write_text("index\tquestion\tprediction\n3101\tq\tThe answer is D.\n3102\tq\tThe answer is A.\n")
    summary = _score_file(table, "mathvision", data, tmp_path / "vlmeval")
    assert (summary["scored"], summary["correct_by_protocol"]["official"]) == (2, 2)
    samples = tmp_path / "20260101_samples_mathvision.jsonl"
    lines = [
        {"doc_id": 0, "filtered_resps": [["The answer is D."]], "target": "D"},  # by position in the split
        {"doc_id": 5, "filtered_resps": ["\\boxed{2.5}"], "score": {"question_id": "3106"}},
    ]
    samples.write_text("".join(json.dumps(line) + "\n" for line in lines))
    summary = _score_file(samples, "mathvision", data, tmp_path / "lmms")
    assert (summary["scored"], summary["correct_by_protocol"]["official"]) == (2, 2)


def _score_file(responses: Path, benchmark: str, data: Path, out: Path) -> dict:
    result = runner.invoke(
        app, ["eval", "score", str(responses), "--benchmark", benchmark, "--data", str(data), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    return json.loads((out / "summary.json").read_text())
