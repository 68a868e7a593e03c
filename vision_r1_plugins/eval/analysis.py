"""Compare evaluation runs: accuracy by response length, length histograms and a Markdown report.

Each run directory holds ``rows.jsonl``, one JSON object per benchmark row with at least ``id``, ``correct`` and
``response_tokens``; ``hit_max_tokens``, ``category``, ``extracted`` and ``markers`` (self-reflection counts:
``wait``, ``hmm``, ``double_check``) are used when present (see :mod:`vision_r1_plugins.eval.row_record`). PTST
training curves come from :mod:`vision_r1_plugins.ptst.metrics` as an extra report section.
"""

from __future__ import annotations

import itertools
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vision_r1_plugins.core.errors import UsageError
from vision_r1_plugins.eval.row_record import ROWS_FILE, read_records
from vision_r1_plugins.generation import MARKER_NAMES

if TYPE_CHECKING:
    from matplotlib.figure import Figure

ACCURACY_BY_LENGTH_PNG = "accuracy_by_length.png"
LENGTH_HISTOGRAMS_PNG = "length_histograms.png"
REPORT_MD = "report.md"
# Always reported (as 0 when absent) so tables line up across runs; other marker keys found in rows are appended.
MARKERS = MARKER_NAMES
NO_CATEGORY = "(none)"
FIGSIZE = (9.0, 5.0)
DPI = 120


@dataclass(frozen=True)
class RunRows:
    name: str
    rows: list[dict[str, Any]]  # scored rows, as EvalRecord dicts
    failed: int = 0  # rows whose request failed or that had no response: wrong in accuracy, no length


def load_run(run_dir: str | Path, name: str | None = None) -> RunRows:
    """Read ``run_dir/rows.jsonl`` (or a ``.jsonl`` file given directly); ``name`` defaults to the folder's name.

    Rows whose request failed (or that had no response) are counted in ``failed``: they count as wrong in the
    run's accuracy, as ``vision-r1 eval`` counts them, and are left out of the length and marker statistics."""
    path = Path(run_dir)
    rows_path = path if path.is_file() else path / ROWS_FILE
    if not rows_path.is_file():
        raise UsageError(f"{rows_path}: no such file; an evaluation run directory must contain {ROWS_FILE}")
    records = read_records(rows_path)
    if not records:
        raise UsageError(f"{rows_path}: no rows; was the evaluation run to completion?")
    rows = [record.to_dict() for record in records if record.scored]
    if not rows:
        raise UsageError(f"{rows_path}: every one of its {len(records)} rows failed to generate; nothing to analyse")
    return RunRows(name=name or rows_path.parent.resolve().name, rows=rows, failed=len(records) - len(rows))


def _require_rows(run: RunRows) -> None:
    if not run.rows:
        raise ValueError(f"run {run.name!r} has no rows")


def _require_runs(runs: list[RunRows]) -> None:
    if not runs:
        raise ValueError("no runs given")
    for run in runs:
        _require_rows(run)
    names = [run.name for run in runs]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise ValueError(f"runs share the name(s) {', '.join(duplicated)}; pass name= to load_run to tell them apart")


# --- statistics -------------------------------------------------------------------------------------------------


def _length_buckets(rows: list[dict[str, Any]], buckets: int) -> list[list[dict[str, Any]]]:
    """Equal-count groups of rows sorted by length; rows of one length always share a group."""
    if buckets < 1:
        raise ValueError(f"buckets must be at least 1, got {buckets}")
    ordered = sorted(rows, key=lambda row: row["response_tokens"])
    lengths = [row["response_tokens"] for row in ordered]
    count = len(ordered)
    cuts: list[int] = []
    for k in range(1, buckets):
        target = round(k * count / buckets)
        # A run of equal lengths across the quantile moves the cut to whichever end of the run is nearer, so
        # buckets stay as even as ties allow; a cut at or before the previous one is dropped (an empty bucket).
        low = target
        while 0 < low < count and lengths[low] == lengths[low - 1]:
            low -= 1
        high = target
        while 0 < high < count and lengths[high] == lengths[high - 1]:
            high += 1
        previous = cuts[-1] if cuts else 0
        candidates = [cut for cut in (low, high) if previous < cut < count]
        if candidates:
            cuts.append(min(candidates, key=lambda cut: abs(cut - target)))
    bounds = [0, *cuts, count]
    return [ordered[start:end] for start, end in itertools.pairwise(bounds)]


def accuracy_by_length(run: RunRows, buckets: int = 8) -> list[tuple[int, int, int, float]]:
    """``(low, high, count, accuracy)`` per equal-count bucket of ``response_tokens``, shortest first.

    ``low``/``high`` are the shortest and longest response in the bucket (inclusive). Ties are never split, so
    there may be fewer buckets than asked for: a run whose responses all have one length gives a single bucket.
    """
    _require_rows(run)
    table = []
    for group in _length_buckets(run.rows, buckets):
        correct = sum(1 for row in group if row["correct"])
        table.append((group[0]["response_tokens"], group[-1]["response_tokens"], len(group), correct / len(group)))
    return table


@dataclass(frozen=True)
class RunSummary:
    name: str
    rows: int
    accuracy: float
    no_answer: float
    hit_max_tokens: float
    length_mean: float
    length_median: float
    markers: dict[str, float]


def summarize(run: RunRows) -> RunSummary:
    """Headline numbers for one run. Accuracy is over every row, failed ones included (as wrong); the other
    shares are fractions of scored rows, markers are means per response."""
    _require_rows(run)
    rows = run.rows
    total = len(rows)
    lengths = [row["response_tokens"] for row in rows]
    names = list(MARKERS) + sorted({key for row in rows for key in (row.get("markers") or {})} - set(MARKERS))
    return RunSummary(
        name=run.name,
        rows=total + run.failed,
        accuracy=sum(1 for row in rows if row["correct"]) / (total + run.failed),
        # An empty or blank extraction is as unusable as none.
        no_answer=sum(1 for row in rows if not (row.get("extracted") or "").strip()) / total,
        hit_max_tokens=sum(1 for row in rows if row.get("hit_max_tokens")) / total,
        length_mean=statistics.fmean(lengths),
        length_median=float(statistics.median(lengths)),
        markers={name: sum((row.get("markers") or {}).get(name, 0) for row in rows) / total for name in names},
    )


def accuracy_by_category(run: RunRows) -> dict[str, tuple[int, float]]:
    """``category -> (count, accuracy)``; rows without a category are grouped under ``(none)``."""
    _require_rows(run)
    groups: dict[str, list[bool]] = {}
    for row in run.rows:
        groups.setdefault(row.get("category") or NO_CATEGORY, []).append(row["correct"])
    return {category: (len(flags), sum(flags) / len(flags)) for category, flags in groups.items()}


# --- plots ------------------------------------------------------------------------------------------------------


def _figure() -> Figure:
    # Figure without pyplot renders through Agg and leaves the global backend and figure registry untouched.
    from matplotlib.figure import Figure

    return Figure(figsize=FIGSIZE, dpi=DPI, layout="constrained")


def _save(figure: Figure, output: str | Path) -> Path:
    path = Path(output)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=DPI)
    return path


def plot_accuracy_by_length(runs: list[RunRows], output: str | Path, buckets: int = 8) -> Path:
    """Accuracy per length bucket (a line per run, at each bucket's mean length) over the buckets' row counts
    (bars spanning each bucket's length range): does correct reasoning concentrate in shorter chains?"""
    _require_runs(runs)
    tables = {run.name: accuracy_by_length(run, buckets) for run in runs}
    means = {run.name: _bucket_means(run, buckets) for run in runs}
    figure = _figure()
    accuracy_axis = figure.add_subplot()
    count_axis = accuracy_axis.twinx()
    # The twin axis is drawn last by default and its bars would hide the accuracy lines.
    accuracy_axis.set_zorder(count_axis.get_zorder() + 1)
    accuracy_axis.patch.set_visible(False)
    shortest = min(low for table in tables.values() for low, _, _, _ in table)
    longest = max(high for table in tables.values() for _, high, _, _ in table)
    # A single-length bucket still needs a visible bar, and a plot where every response has one length a
    # readable x range rather than matplotlib's ±0.5 token default.
    pad = 0.0 if longest > shortest else max(0.1 * longest, 5.0)
    min_width = max((longest - shortest) * 0.01, 1.0) if longest > shortest else pad / 5
    handles = []
    for index, run in enumerate(runs):
        colour = f"C{index}"
        table = tables[run.name]
        count_axis.bar(
            [(low + high) / 2 for low, high, _, _ in table],
            [count for _, _, count, _ in table],
            width=[max(high - low, min_width) for low, high, _, _ in table],
            color=colour,
            alpha=0.18,
            edgecolor=colour,
            linewidth=0.8,
            label=f"{run.name}: rows per bucket",
        )
        overall = sum(1 for row in run.rows if row["correct"]) / len(run.rows)
        (line,) = accuracy_axis.plot(
            means[run.name],
            [accuracy for _, _, _, accuracy in table],
            marker="o",
            color=colour,
            label=f"{run.name}: accuracy (overall {overall:.1%})",
        )
        handles.append(line)
    handles += count_axis.containers
    accuracy_axis.set_ylim(-0.02, 1.02)
    if pad:
        accuracy_axis.set_xlim(shortest - pad, longest + pad)
    _integer_ticks(accuracy_axis)
    # Equal-count bars are all about the same height; keeping them in the lower third leaves the lines readable.
    count_axis.set_ylim(0, 3 * max(count for table in tables.values() for _, _, count, _ in table))
    accuracy_axis.set_xlabel("response length (tokens); equal-count buckets")
    accuracy_axis.set_ylabel("accuracy")
    count_axis.set_ylabel("rows per bucket")
    accuracy_axis.set_title("Accuracy by response length")
    accuracy_axis.grid(alpha=0.3)
    accuracy_axis.legend(handles=handles, labels=[handle.get_label() for handle in handles], loc="best", fontsize=8)
    return _save(figure, output)


def _integer_ticks(axis: Any) -> None:
    from matplotlib.ticker import MaxNLocator

    axis.xaxis.set_major_locator(MaxNLocator(integer=True))


def _bucket_means(run: RunRows, buckets: int) -> list[float]:
    return [statistics.fmean(row["response_tokens"] for row in group) for group in _length_buckets(run.rows, buckets)]


def plot_length_histograms(runs: list[RunRows], output: str | Path, bins: int = 30) -> Path:
    """Overlaid response-length histograms on shared bins, each run's mean (dashed) and median (dotted) marked."""
    import numpy as np

    _require_runs(runs)
    lengths = {run.name: [row["response_tokens"] for row in run.rows] for run in runs}
    pooled = [value for values in lengths.values() for value in values]
    # Shared edges so the runs' bars are directly comparable; one length everywhere would otherwise span ±0.5 token.
    pad = 0.0 if max(pooled) > min(pooled) else max(0.1 * pooled[0], 5.0)
    edges = np.histogram_bin_edges(pooled, bins=bins, range=(min(pooled) - pad, max(pooled) + pad) if pad else None)
    figure = _figure()
    axis = figure.add_subplot()
    for index, run in enumerate(runs):
        colour = f"C{index}"
        values = lengths[run.name]
        axis.hist(values, bins=edges, color=colour, alpha=0.3, label=f"{run.name} (n={len(values)})")
        axis.hist(values, bins=edges, color=colour, histtype="step", linewidth=1.2)
        mean, median = statistics.fmean(values), statistics.median(values)
        axis.axvline(mean, color=colour, linestyle="--", linewidth=1.5, label=f"{run.name} mean {mean:.0f}")
        axis.axvline(median, color=colour, linestyle=":", linewidth=1.8, label=f"{run.name} median {median:.0f}")
    _integer_ticks(axis)
    axis.set_xlabel("response length (tokens)")
    axis.set_ylabel("responses")
    axis.set_title("Response length distribution")
    axis.grid(alpha=0.3)
    axis.legend(fontsize=8)
    return _save(figure, output)


# --- report -----------------------------------------------------------------------------------------------------


def write_report(
    runs: list[RunRows], output_dir: str | Path, sections: Sequence[list[str]] = (), buckets: int = 8
) -> Path:
    """Write the plots and ``report.md`` into ``output_dir``; return the report's path.

    ``sections`` are more Markdown sections (lists of lines) appended in order, such as PTST's training curves
    from :func:`vision_r1_plugins.ptst.metrics.report_section`.
    """
    _require_runs(runs)
    output = Path(output_dir)
    output.mkdir(parents=True, exist_ok=True)
    plot_accuracy_by_length(runs, output / ACCURACY_BY_LENGTH_PNG, buckets)
    plot_length_histograms(runs, output / LENGTH_HISTOGRAMS_PNG)
    summaries = [summarize(run) for run in runs]
    lines = ["# Evaluation report", "", f"Runs: {', '.join(_cell(run.name) for run in runs)}.", ""]
    failed = [f"{_cell(run.name)} {run.failed}" for run in runs if run.failed]
    if failed:
        lines += [
            f"Rows whose request failed or had no response (wrong in the accuracy below, left out of the "
            f"length and marker statistics): {', '.join(failed)}.",
            "",
        ]
    lines += _overview(summaries)
    lines += _markers(summaries)
    lines += _categories(runs)
    lines += _lengths(runs, buckets)
    lines += ["## Response length distribution", "", f"![Response length histograms]({LENGTH_HISTOGRAMS_PNG})", ""]
    for section in sections:
        lines += section
    report = output / REPORT_MD
    report.write_text("\n".join(lines), encoding="utf-8")
    return report


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _table(header: list[str], rows: list[list[str]]) -> list[str]:
    return [
        "| " + " | ".join(header) + " |",
        "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|",
        *("| " + " | ".join(row) + " |" for row in rows),
        "",
    ]


def _overview(summaries: list[RunSummary]) -> list[str]:
    header = ["run", "rows", "accuracy", "no extracted answer", "hit max tokens", "length mean", "length median"]
    rows = [
        [
            _cell(summary.name),
            str(summary.rows),
            f"{summary.accuracy:.1%}",
            f"{summary.no_answer:.1%}",
            f"{summary.hit_max_tokens:.1%}",
            f"{summary.length_mean:.1f}",
            f"{summary.length_median:.1f}",
        ]
        for summary in summaries
    ]
    return ["## Overview", "", *_table(header, rows)]


def _markers(summaries: list[RunSummary]) -> list[str]:
    names = list(dict.fromkeys(name for summary in summaries for name in summary.markers))
    rows = [
        [
            _cell(summary.name),
            *(f"{summary.markers.get(name, 0.0):.2f}" for name in names),
            f"{sum(summary.markers.values()):.2f}",
        ]
        for summary in summaries
    ]
    return ["## Self-reflection markers per response", "", *_table(["run", *names, "total"], rows)]


def _categories(runs: list[RunRows]) -> list[str]:
    tables = {run.name: accuracy_by_category(run) for run in runs}
    categories = sorted({category for table in tables.values() for category in table} - {NO_CATEGORY})
    if not categories:
        return ["## Accuracy by category", "", "No row has a category.", ""]
    if any(NO_CATEGORY in table for table in tables.values()):
        categories.append(NO_CATEGORY)
    rows = []
    for category in categories:
        cells = []
        for run in runs:
            entry = tables[run.name].get(category)
            cells.append(f"{entry[1]:.1%} ({entry[0]})" if entry else "–")
        rows.append([_cell(category), *cells])
    header = ["category", *(_cell(run.name) for run in runs)]
    return ["## Accuracy by category", "", "Accuracy (rows).", "", *_table(header, rows)]


def _lengths(runs: list[RunRows], buckets: int) -> list[str]:
    lines = [
        "## Accuracy by response length",
        "",
        f"Up to {buckets} equal-count buckets of response tokens per run (equal lengths are never split).",
        "",
        f"![Accuracy by response length]({ACCURACY_BY_LENGTH_PNG})",
        "",
    ]
    for run in runs:
        rows = [
            [f"{low}–{high}", str(count), f"{accuracy:.1%}"]
            for low, high, count, accuracy in accuracy_by_length(run, buckets)
        ]
        lines += [f"### {run.name}", "", *_table(["response tokens", "rows", "accuracy"], rows)]
    return lines
