"""The bridge at scale: wall time, request rate, peak memory and store size for 10K-200K samples, run and resume.

    .venv/bin/python benchmarks/bridge_scale.py [--samples 10000 50000 200000] [--reply-chars 3500]
        [--code PATH]   # bridge with another version of the package, e.g. PATH from `git archive REV | tar -x -C PATH`

For each sample count N the bridge runs twice against the fake server (its own process, zero latency, every
bridge-stage reply padded to --reply-chars characters): a fresh run, then a resume of the finished run, where every
request is served from the result store (the script checks that the server saw no chat request). Each phase runs in
a child process of its own, so its peak RSS (``ru_maxrss`` from ``os.wait4``) is that phase's alone; the child runs
with ``PYTHONPATH=--code`` and reports which ``vision_r1_plugins`` it imported, which the table header shows. The
children use only ``vision_r1_plugins.bridge.{BridgeConfig, bridge}`` and ``vision_r1_plugins.generation.
{BackendConfig, make_backend}``, so any version with those measures the same way.

The targets (issue 26): peak RSS flat in N (the largest N within 20% of the smallest) and below 1 GB, in both
phases; resuming the largest N in under a minute. Each run folder lives under --tmp and is deleted once measured
(at 200K samples and 3,500-character replies the store alone is about 2 GB). A child whose RSS passes --rss-limit-gb
is killed and its row says so, so a version whose memory grows cannot take the machine down.

On Linux a child's ``ru_maxrss`` never reads below the parent's own peak RSS at the time it started (the kernel
keeps the high-water mark of the memory replaced at exec), so this script stays small and prints that floor.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
CHILD_FLAG = "--child"
IMAGES = 8


# ---- the child: one bridge phase in its own process ------------------------------------------------------------


def child(spec: dict[str, Any]) -> None:
    """Run one bridge phase as ``spec`` says and print its figures as one JSON line (the parent reads the last)."""
    import vision_r1_plugins
    from vision_r1_plugins.bridge import BridgeConfig, bridge
    from vision_r1_plugins.generation import BackendConfig, make_backend

    def backend(model: str) -> Any:
        return make_backend(BackendConfig("openai", model, spec["url"], concurrency=spec["concurrency"], timeout=120.0))

    config = BridgeConfig(
        Path(spec["input"]), Path(spec["out"]), resume=spec["resume"], max_active_samples=spec["max_active"]
    )
    start = time.perf_counter()
    report = bridge(config, backend("fake-mllm"), backend("fake-reasoner"))
    elapsed = time.perf_counter() - start
    figures = {
        "package": str(Path(vision_r1_plugins.__file__).resolve().parent),
        "seconds": elapsed,
        "input": report.input,
        "kept": report.kept,
        "filtered": dict(report.filtered),
        "rejected": dict(report.rejected),
        "requests": report.requests,
    }
    print(json.dumps(figures), flush=True)


# ---- the parent ------------------------------------------------------------------------------------------------


@dataclass
class Phase:
    """One measured (N, phase) row."""

    samples: int
    phase: str  # "run" or "resume"
    seconds: float
    requests: int  # requests answered: by the server (run) or from the store (resume)
    peak_rss_mb: float
    store_mb: float
    out_mb: float
    kept: int
    note: str = ""

    @property
    def rate(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0


def write_problems(root: Path, count: int) -> Path:
    """``count`` arithmetic problems (which the fake server solves) over a few shared small images, as JSONL."""
    from vision_r1_plugins.testing.synthetic import write_images

    names = write_images(root / "imgs", IMAGES)
    path = root / "problems.jsonl"
    with path.open("w", encoding="utf-8") as out:
        for index in range(count):
            row = {
                "id": f"q{index}",
                "images": [f"imgs/{names[index % IMAGES]}"],
                "problem": f"<image>What is {index} + {index + 3}?",
                "answer": str(2 * index + 3),
            }
            out.write(json.dumps(row) + "\n")
    return path


def folder_mb(path: Path, pattern: str = "*") -> float:
    return sum(file.stat().st_size for file in path.glob(pattern) if file.is_file()) / 1024**2


def _rss_kb(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def _watch(pid: int, limit_kb: int, done: threading.Event, killed: list[int]) -> None:
    """SIGKILL ``pid`` if its RSS passes ``limit_kb`` (a guard for the machine, not the measurement).

    It never reaps (no ``poll``), so the pid stays the child's until ``os.wait4`` collects its rusage.
    """
    while not done.wait(0.2):
        rss = _rss_kb(pid)
        if rss > limit_kb:
            killed.append(rss)
            os.kill(pid, signal.SIGKILL)
            return


def run_phase(spec: dict[str, Any], env: dict[str, str], cwd: Path, limit_kb: int) -> tuple[dict[str, Any], int, str]:
    """(the child's figures, its peak RSS in KB, a note); the figures are empty when the child failed."""
    command = [sys.executable, str(Path(__file__).resolve()), CHILD_FLAG, json.dumps(spec)]
    stdout_path, stderr_path = cwd / f"{spec['phase']}.stdout", cwd / f"{spec['phase']}.stderr"
    with stdout_path.open("w") as stdout, stderr_path.open("w") as stderr:
        process = subprocess.Popen(command, env=env, cwd=cwd, stdout=stdout, stderr=stderr)
    done = threading.Event()
    killed: list[int] = []
    watcher = threading.Thread(target=_watch, args=(process.pid, limit_kb, done, killed), daemon=True)
    watcher.start()
    try:
        _, status, usage = os.wait4(process.pid, 0)
    finally:
        done.set()
        watcher.join()
    process.returncode = os.waitstatus_to_exitcode(status)  # reaped here; Popen must not wait for it again
    peak_kb = usage.ru_maxrss  # KB on Linux
    if killed:
        return {}, peak_kb, f"killed at {killed[0] / 1024**2:.1f} GB RSS (--rss-limit-gb)"
    if process.returncode != 0:
        tail = " | ".join(stderr_path.read_text(errors="replace").strip().splitlines()[-3:])
        return {}, peak_kb, f"failed (exit {process.returncode}): {tail[:300]}"
    lines = [line for line in stdout_path.read_text().splitlines() if line.startswith("{")]
    return json.loads(lines[-1]), peak_kb, ""


def server_stats(url: str, reset: bool = False) -> dict[str, Any]:
    base = url.removesuffix("/v1")
    request = urllib.request.Request(base + ("/stats/reset" if reset else "/stats"), method="POST" if reset else "GET")
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.loads(response.read())


def measure(count: int, args: argparse.Namespace, url: str, env: dict[str, str]) -> tuple[list[Phase], str]:
    """Bridge ``count`` samples, then resume the finished run; returns both rows and the child's package path."""
    rows: list[Phase] = []
    package = ""
    with tempfile.TemporaryDirectory(prefix=f"bridge_scale_{count}_", dir=args.tmp) as folder:
        root = Path(folder)
        source = write_problems(root, count)
        out = root / "out"
        for phase in ("run", "resume"):
            server_stats(url, reset=True)  # the server's per-body memory stays small, and its counts are per phase
            spec = {
                "input": str(source),
                "out": str(out),
                "url": url,
                "phase": phase,
                "resume": phase == "resume",
                "concurrency": args.concurrency,
                "max_active": args.max_active,
            }
            figures, peak_kb, note = run_phase(spec, env, root, int(args.rss_limit_gb * 1024**2))
            chat = server_stats(url)["requests"]
            requests = 0
            if figures:
                package = figures["package"]
                counts = figures["requests"]
                requests = sum(stage["cached" if phase == "resume" else "done"] for stage in counts.values())
                problems = []
                if figures["input"] != count:
                    problems.append(f"read {figures['input']} of {count}")
                if figures["filtered"] or figures["rejected"]:
                    problems.append(f"filtered {figures['filtered']}, rejected {figures['rejected']}")
                if phase == "resume" and chat:
                    problems.append(f"{chat} requests reached the server on resume")
                if phase == "run" and chat != 3 * count:
                    problems.append(f"the server answered {chat} requests, expected {3 * count}")
                note = "; ".join(problems)
            rows.append(
                Phase(
                    samples=count,
                    phase=phase,
                    seconds=figures.get("seconds", 0.0),
                    requests=requests,
                    peak_rss_mb=peak_kb / 1024,
                    store_mb=folder_mb(out, args.store_glob) if out.exists() else 0.0,
                    out_mb=folder_mb(out) if out.exists() else 0.0,
                    kept=figures.get("kept", 0),
                    note=note,
                )
            )
            if not figures:
                break  # a resume of a failed run measures nothing
    return rows, package


def table(rows: list[Phase]) -> str:
    header = ("samples", "phase", "seconds", "requests/s", "peak RSS MB", "store MB", "out folder MB", "kept", "note")
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---:" for _ in header[:-1]) + "|:---|"]
    for row in rows:
        lines.append(
            f"| {row.samples:,} | {row.phase} | {row.seconds:.1f} | {row.rate:,.0f} | {row.peak_rss_mb:,.0f} | "
            f"{row.store_mb:,.0f} | {row.out_mb:,.0f} | {row.kept:,} | {row.note} |"
        )
    return "\n".join(lines)


def verdicts(rows: list[Phase]) -> list[str]:
    """The issue's targets, each with the figures it was judged on; a missing phase is not passed."""
    lines = []
    counts = sorted({row.samples for row in rows})
    for phase in ("run", "resume"):
        done = {row.samples: row for row in rows if row.phase == phase and not row.note}
        if len(counts) > 1 and counts[0] in done and counts[-1] in done:
            small, large = done[counts[0]].peak_rss_mb, done[counts[-1]].peak_rss_mb
            growth = large / small - 1
            ok = "met" if growth <= 0.2 else "MISSED"
            lines.append(
                f"- {phase}: peak RSS {small:,.0f} MB at {counts[0]:,} -> {large:,.0f} MB at {counts[-1]:,} "
                f"({growth:+.0%}; target within +20%): {ok}"
            )
        measured = [row for row in rows if row.phase == phase]
        if measured:
            worst = max(measured, key=lambda row: row.peak_rss_mb)
            ok = "met" if worst.peak_rss_mb < 1024 and all(not row.note for row in measured) else "MISSED"
            lines.append(
                f"- {phase}: largest peak RSS {worst.peak_rss_mb:,.0f} MB ({worst.samples:,} samples; "
                f"target < 1,024 MB): {ok}"
            )
    resumed = [row for row in rows if row.phase == "resume" and row.samples == counts[-1]] if counts else []
    if resumed:
        row = resumed[0]
        ok = "met" if row.seconds < 60 and not row.note else "MISSED"
        lines.append(f"- resume of {row.samples:,} samples: {row.seconds:.1f} s (target < 60 s): {ok}")
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, nargs="+", default=[10_000, 50_000, 200_000])
    parser.add_argument("--reply-chars", type=int, default=3500, help="length of every stage reply (fake server)")
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--max-active", type=int, default=256, help="BridgeConfig.max_active_samples")
    parser.add_argument("--code", type=Path, help="the package tree to measure (PYTHONPATH); default this checkout")
    parser.add_argument("--tmp", type=Path, default=Path(tempfile.gettempdir()), help="where run folders go")
    parser.add_argument("--store-glob", default="requests*", help="the result store's files in the run folder")
    parser.add_argument("--rss-limit-gb", type=float, default=12.0, help="kill a phase whose RSS passes this")
    parser.add_argument("--json", type=Path, help="also write the rows here (to compare versions)")
    args = parser.parse_args()
    code = (args.code or REPO_ROOT).resolve()
    if not (code / "vision_r1_plugins" / "__init__.py").is_file():
        parser.error(f"--code {code} holds no vision_r1_plugins package")

    # The server is always this checkout's (it has --reply-chars); the children import from --code.
    server_env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    child_env = {**os.environ, "PYTHONPATH": str(code)}
    chars = args.reply_chars
    server = subprocess.Popen(
        [sys.executable, "-m", "vision_r1_plugins.testing.fake_server", "--port", "0", "--reply-chars", str(chars)],
        stdout=subprocess.PIPE,
        text=True,
        env=server_env,
        cwd=REPO_ROOT,
    )
    rows: list[Phase] = []
    packages: set[str] = set()
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        for count in args.samples:
            measured, package = measure(count, args, url, child_env)
            rows.extend(measured)
            packages.add(package)
            # Progress on stderr, so stdout is the table alone.
            for row in measured:
                print(
                    f"{count:,} samples, {row.phase}: {row.seconds:.1f} s, peak RSS {row.peak_rss_mb:,.0f} MB, "
                    f"store {row.store_mb:,.0f} MB, {row.note or 'ok'}",
                    file=sys.stderr,
                    flush=True,
                )
    finally:
        server.terminate()
        server.wait(timeout=10)

    imported = ", ".join(sorted(package for package in packages if package)) or "(no child finished)"
    if args.code and not all(package.startswith(str(code)) for package in packages if package):
        print(f"warning: the children imported {imported}, not --code {code}", file=sys.stderr)
    # A child's ru_maxrss starts from this process's peak RSS (Linux keeps the high-water mark of the memory it
    # replaced at exec), so that peak is the floor of every figure: shown, so a reader can tell it is far below.
    floor_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        f"bridge at scale: package {imported}; fake server at zero latency, replies of {args.reply_chars:,} chars, "
        f"concurrency {args.concurrency}, max_active_samples {args.max_active}, {os.cpu_count()} CPUs; "
        f"peak RSS floor (this script's own) {floor_mb:.0f} MB\n"
    )
    if args.json:
        record = {"package": imported, "reply_chars": args.reply_chars, "rows": [row.__dict__ for row in rows]}
        args.json.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    print(table(rows))
    print()
    print("\n".join(verdicts(rows)), flush=True)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == CHILD_FLAG:
        child(json.loads(sys.argv[2]))
    else:
        main()
