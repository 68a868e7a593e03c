"""The Python API: each feature's names import without the heavy extras, and every synchronous entry point works
from inside a running event loop (as in a Jupyter cell) with the same result as from plain code.

The "inside a loop" calls are made from an ``async def`` body run by ``asyncio.run``: the sync function is
called directly there, as a notebook user calls it."""

from __future__ import annotations

import _thread
import asyncio
import json
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Any, TypeVar

import pytest

import vision_r1_plugins
from vision_r1_plugins.core.sync import loop_running, run_sync
from vision_r1_plugins.testing.fake_server import FakeServer
from vision_r1_plugins.testing.synthetic import write_images

T = TypeVar("T")

FEATURES = ("bridge", "eval", "llamafactory", "verl", "ptst", "reward")
HEAVY = ("torch", "transformers", "llamafactory", "verl", "ray", "vllm", "datasets", "openai", "matplotlib")
SCHEDULE = Path(__file__).resolve().parents[1] / "examples" / "verl" / "schedules" / "vision_r1_ptst_8gpu.yaml"


def in_running_loop(call: Callable[[], T]) -> T:
    """``call()`` made from inside a running event loop, as in a Jupyter cell."""

    async def cell() -> T:
        assert loop_running()
        return call()

    return asyncio.run(cell())


# ---------------------------------------------------------------------------------------------------------
# The surface


def test_version_is_the_installed_distributions() -> None:
    assert vision_r1_plugins.__version__ == version("vision-r1-plugins")
    assert "__version__" in vision_r1_plugins.__all__
    with pytest.raises(AttributeError):
        vision_r1_plugins.no_such_name  # noqa: B018


@pytest.mark.parametrize("feature", FEATURES)
def test_every_exported_name_imports_without_the_heavy_extras(feature: str) -> None:
    code = (
        "import importlib, sys\n"
        f"module = importlib.import_module('vision_r1_plugins.{feature}')\n"
        "missing = [name for name in module.__all__ if not hasattr(module, name)]\n"
        f"heavy = [name for name in {HEAVY!r} if name in sys.modules]\n"
        "print(repr((sorted(module.__all__), missing, heavy)))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stderr
    names, missing, heavy = eval(result.stdout.strip().splitlines()[-1])  # our own repr
    assert names and not missing and not heavy, (names, missing, heavy)


def test_importing_the_package_imports_nothing_else() -> None:
    code = "import sys; import vision_r1_plugins; print(sorted(m for m in sys.modules if m.startswith('vision_r1')))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert result.stdout.strip() == "['vision_r1_plugins']"


def test_every_exported_function_and_config_is_documented_with_an_example_or_a_sentence() -> None:
    import inspect

    for feature in FEATURES:
        module = __import__(f"vision_r1_plugins.{feature}", fromlist=["__all__"])
        assert module.__doc__ and ">>>" in module.__doc__, feature
        for name in module.__all__:
            value = getattr(module, name)
            if inspect.isfunction(value) or inspect.isclass(value):
                own = value.__doc__ or ""
                assert own.strip() and not own.startswith(f"{name}("), f"{feature}.{name} has no docstring"


@pytest.mark.parametrize("module", [*(f"vision_r1_plugins.{feature}" for feature in FEATURES), "vision_r1_plugins"])
def test_the_package_examples_run(module: str) -> None:
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


# ---------------------------------------------------------------------------------------------------------
# The loop-safe runner


async def _answer(value: int) -> tuple[int, int]:
    await asyncio.sleep(0)
    return value, threading.get_ident()


def test_run_sync_without_a_loop_runs_in_this_thread() -> None:
    assert not loop_running()
    assert run_sync(_answer(7)) == (7, threading.get_ident())


def test_run_sync_inside_a_running_loop_uses_a_worker_thread() -> None:
    value, worker = in_running_loop(lambda: run_sync(_answer(7)))
    assert value == 7 and worker != threading.get_ident()


class Planted(ValueError):
    pass


def test_an_exception_inside_propagates_with_its_type_from_both_paths() -> None:
    async def fails() -> None:
        await asyncio.sleep(0)
        raise Planted("inside")

    with pytest.raises(Planted, match="inside"):
        run_sync(fails())
    with pytest.raises(Planted, match="inside"):
        in_running_loop(lambda: run_sync(fails()))


def test_keyboard_interrupt_cancels_the_coroutine_and_waits_for_its_cleanup() -> None:
    events: list[str] = []

    async def long_running() -> None:
        try:
            events.append("started")
            await asyncio.sleep(15)
        except asyncio.CancelledError:
            events.append("cancelled")
            raise
        finally:
            await asyncio.sleep(0.05)  # cleanup that awaits (closing a client) still runs
            events.append("cleaned up")

    def interrupt_soon() -> None:
        while "started" not in events:
            time.sleep(0.01)
        _thread.interrupt_main()  # what Ctrl-C or Jupyter's interrupt does to the waiting thread

    async def cell() -> None:
        run_sync(long_running())

    # A loop run the way Jupyter's kernel runs it: Python's own SIGINT handler raises KeyboardInterrupt in the
    # waiting thread (asyncio.run would instead cancel its main task and wait for the cell to return).
    # Python's own handler, explicitly: an earlier test in this process (a CLI run, a server) may have left another
    # one installed, and interrupt_main does nothing when SIGINT is not handled by Python's default handler.
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    loop = asyncio.new_event_loop()
    threading.Thread(target=interrupt_soon, daemon=True).start()
    started = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            loop.run_until_complete(cell())
    finally:
        loop.close()
        signal.signal(signal.SIGINT, previous)
    assert events == ["started", "cancelled", "cleaned up"]
    assert time.monotonic() - started < 10


# ---------------------------------------------------------------------------------------------------------
# Every synchronous entry point, from plain code and from inside a running loop, against a real HTTP server


def _problems(root: Path, count: int) -> Path:
    """Arithmetic problems the fake server's "model" solves, over generated images."""
    names = write_images(root / "imgs", 2)
    rows = [
        {
            "id": f"q{index}",
            "images": [f"imgs/{names[index % 2]}"],
            "problem": f"<image>What is {index} + {index + 3}?",
            "query": f"What is {index} + {index + 3}?",
            "answer": str(2 * index + 3),
            "question_type": "free_form",
            "answer_type": "integer",
        }
        for index in range(count)
    ]
    rows.append({"id": "no-image", "images": ["imgs/missing.png"], "problem": "What is 1 + 1?", "answer": "2"})
    path = root / "problems.jsonl"
    path.write_text("".join(json.dumps(row) + "\n" for row in rows))
    return path


def _backend(url: str, model: str = "fake-mllm") -> Any:
    from vision_r1_plugins.eval import BackendConfig, Sampling, make_backend

    return make_backend(BackendConfig("openai", model, url, sampling=Sampling(max_tokens=512), concurrency=4))


def test_bridge_from_a_running_loop_matches_plain_code(tmp_path: Path) -> None:
    from vision_r1_plugins.bridge import BridgeConfig, bridge

    source = _problems(tmp_path, 6)
    updates: list[int] = []
    with FakeServer() as server:

        def run(out: str) -> Any:
            config = BridgeConfig(source, tmp_path / out)
            return bridge(
                config, _backend(server.url), _backend(server.url, "fake-reasoner"), lambda p: updates.append(p.read)
            )

        plain = run("plain")
        inside = in_running_loop(lambda: run("inside"))
    assert plain.input == inside.input == 7 and plain.kept == inside.kept == 6
    assert plain.rejected == inside.rejected == {"missing_image": 1}
    assert json.loads(plain.dataset_path.read_text()) == json.loads(inside.dataset_path.read_text())
    assert updates  # the progress callback ran in both


def test_bridge_async_needs_no_thread(tmp_path: Path) -> None:
    from vision_r1_plugins.bridge import BridgeConfig, bridge_async

    source = _problems(tmp_path, 3)
    with FakeServer() as server:
        backends = (_backend(server.url), _backend(server.url, "fake-reasoner"))
        report = asyncio.run(bridge_async(BridgeConfig(source, tmp_path / "out"), *backends))
    assert report.kept == 3


def test_evaluate_and_infer_from_a_running_loop_match_plain_code(tmp_path: Path) -> None:
    from vision_r1_plugins.eval import EvalConfig, evaluate, evaluate_async, infer

    source = _problems(tmp_path, 5)
    with FakeServer() as server:
        plain = evaluate(EvalConfig(source, tmp_path / "plain"), _backend(server.url))
        inside = in_running_loop(lambda: evaluate(EvalConfig(source, tmp_path / "inside"), _backend(server.url)))
        awaited = asyncio.run(evaluate_async(EvalConfig(source, tmp_path / "awaited"), _backend(server.url)))
        chunks: list[str] = []
        asked = infer(_backend(server.url), "What is 12 + 30?")
        asked_inside = in_running_loop(lambda: infer(_backend(server.url), "What is 12 + 30?", on_text=chunks.append))
    assert plain.rows == inside.rows == awaited.rows == 5 and plain.invalid_rows == 1  # the row without an answer
    assert plain.accuracy == inside.accuracy == awaited.accuracy > 0.5
    assert asked.answer == asked_inside.answer == "42" and "".join(chunks) == asked_inside.response


def test_score_responses_with_the_llm_extractor_from_a_running_loop(tmp_path: Path) -> None:
    from vision_r1_plugins.eval import JudgeConfig, ScoreConfig, score_responses

    rows = [
        {"id": f"q{i}", "images": [], "query": f"How many in basket {i}?", "answer": "9", "question_type": "free_form"}
        for i in range(3)
    ]
    data = tmp_path / "bench.jsonl"
    data.write_text("".join(json.dumps(row) + "\n" for row in rows))
    replies = {"q0": "<answer>9</answer>", "q1": "I counted 3 + 6 of them.\nI am not sure.", "q2": "<answer>4</answer>"}
    responses = tmp_path / "responses.jsonl"
    responses.write_text("".join(json.dumps({"id": key, "response": text}) + "\n" for key, text in replies.items()))
    with FakeServer() as server:

        def score(out: str) -> Any:
            judge = JudgeConfig(server.url, "fake-reasoner")
            return score_responses(ScoreConfig(responses, "vision_r1", data, tmp_path / out, judge=judge))

        plain = score("plain")
        inside = in_running_loop(lambda: score("inside"))
    assert plain.report.judged_rows == inside.report.judged_rows == 1  # q1: the judge found 9 in 3 + 6
    assert plain.report.accuracy == inside.report.accuracy == 2 / 3


def test_the_reward_from_a_running_loop() -> None:
    from vision_r1_plugins.reward import compute_score, score_many

    responses = ["<think>3+4=7</think><answer>7</answer>", "<answer>7</answer>", "<think>x</think><answer>8</answer>"]
    plain = score_many(responses, ["7"] * 3)
    assert in_running_loop(lambda: score_many(responses, ["7"] * 3)) == plain
    assert [result["score"] for result in plain] == [1.0, 0.0, 0.0]
    assert in_running_loop(lambda: compute_score("geo", responses[0], "7"))["score"] == 1.0


def test_ptst_plan_from_a_running_loop() -> None:
    from vision_r1_plugins.ptst import load_schedule, plan, plan_hook

    schedule = load_schedule(SCHEDULE)
    assert in_running_loop(lambda: plan_hook(load_schedule(SCHEDULE)).argv) == plan_hook(schedule).argv
    stages = in_running_loop(lambda: plan(schedule))
    assert [stage.stage.name for stage in stages] == [stage.name for stage in schedule.stages]
    assert stages[-1].end_step == schedule.total_steps


@pytest.mark.slow
def test_validate_and_convert_from_a_running_loop(tmp_path: Path, tiny_model_dir: Path) -> None:
    pytest.importorskip("llamafactory")
    from vision_r1_plugins.llamafactory import ValidateConfig, validate_dataset
    from vision_r1_plugins.testing.synthetic import write_sharegpt_dataset
    from vision_r1_plugins.verl import RLDataConfig, convert_rl_data

    write_sharegpt_dataset(tmp_path / "data", "toy", rows=4, images=2)
    config = ValidateConfig(str(tmp_path / "data"), "toy", str(tiny_model_dir), cutoff_len=1024, num_workers=1)
    plain = validate_dataset(config)
    inside = in_running_loop(lambda: validate_dataset(config))
    assert plain.kept == inside.kept == 4
    source = _problems(tmp_path, 3)

    def convert(out: str) -> Any:
        return convert_rl_data(RLDataConfig(source, tmp_path / out, tiny_model_dir, max_prompt_length=512))

    converted, converted_inside = convert("plain"), in_running_loop(lambda: convert("inside"))
    assert converted.kept == converted_inside.kept == 3


# ---------------------------------------------------------------------------------------------------------
# examples/python: each script run as its README shows, from the repository root


ROOT = Path(__file__).resolve().parents[1]
EXAMPLES = ROOT / "examples" / "python"


def _script(name: str, *args: str) -> str:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / name), *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_the_reward_and_ptst_examples_run_as_written() -> None:
    reward = _script("score_rewards.py")
    assert "geo-01: score 1.0" in reward and "7 of 12 responses score 1.0" in reward
    plan = _script("ptst_plan.py")
    assert "-m vision_r1_plugins.ptst.main" in plan and "trainer.project_name=my-project" in plan
    from vision_r1_plugins.ptst import load_schedule

    stages = load_schedule(SCHEDULE).stages
    assert [line.split(":")[0] for line in plan.splitlines() if ": global steps " in line] == [
        f"# {stage.name}" for stage in stages
    ]


def test_the_bridge_and_eval_examples_run_against_a_server(tmp_path: Path) -> None:
    from vision_r1_plugins.testing.fake_server import FakeServerConfig

    with FakeServer(FakeServerConfig(teacher=True)) as server:
        bridged = _script("bridge_samples.py", "--base-url", server.url, "--out", str(tmp_path / "bridge"))
        evaluated = _script("eval_samples.py", "--base-url", server.url, "--out", str(tmp_path / "eval"))
    assert "36 of 36 samples kept" in bridged
    assert json.loads((tmp_path / "bridge" / "vision_r1_bridged.json").read_text())[0]["images"]
    first, second = (line.split("accuracy ")[1].split()[0].rstrip(",") for line in evaluated.splitlines()[:2])
    assert "over 36 rows" in evaluated and first == second  # scored from the file as when asked


@pytest.mark.slow
def test_the_validate_and_convert_example_runs_on_the_tiny_model(tmp_path: Path, tiny_model_dir: Path) -> None:
    pytest.importorskip("llamafactory")
    from vision_r1_plugins.testing.fake_server import FakeServerConfig

    with FakeServer(FakeServerConfig(teacher=True)) as server:
        _script("bridge_samples.py", "--base-url", server.url, "--out", str(tmp_path / "bridge"))
    output = _script(
        "validate_and_convert.py",
        *("--model", str(tiny_model_dir), "--dataset-dir", str(tmp_path / "bridge"), "--out", str(tmp_path / "ready")),
    )
    assert "validate: 36 of 36 rows kept" in output and "rl-data: 36 of 36 rows kept" in output
    assert (tmp_path / "ready" / "rl.parquet").is_file()
