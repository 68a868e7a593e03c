"""Row accounting shared by every command that keeps or drops rows (``bridge``, ``rl-data``, ``lf validate``,
``reward score``, ``eval``): what came in, what was kept, what was filtered or rejected and why, and the one exit
rule.

Every input row ends in exactly one bucket, so ``input == kept + filtered + rejected`` (checked by
:meth:`RowAccount.check_balance`, not assumed). *Filtered* rows were dropped by a rule the user asked for (the
bridge's quality filters); *rejected* rows could not be used (bad JSON, a missing column or image, a failed
request). The exit rule (:meth:`RowAccount.verdict`, raised by :meth:`RowAccount.outcome`): an input without rows
is a usage error; a run that kept nothing fails; with ``strict`` a run that rejected anything fails. Filtered rows
never fail a run on their own: the user asked for them to go.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from vision_r1_plugins.core.errors import RunError, UsageError

__all__ = ["CountedRows", "RowAccount", "RowExample", "Verdict"]

EXAMPLES_PER_REASON = 3  # enough to see a pattern, few enough that a 200K-row run holds a handful


class Verdict(StrEnum):
    """What the exit rule says about a finished run."""

    OK = "ok"
    EMPTY = "empty"  # the input held no rows
    NOTHING_KEPT = "nothing_kept"
    STRICT_REJECTED = "strict_rejected"  # strict, and some row was rejected


@dataclass(frozen=True)
class RowExample:
    """One dropped row, quoted in messages: ``where`` is its position as the command names it (``row 3 (id)``,
    ``line 7``), ``reason`` its bucket, ``detail`` the human-readable why."""

    where: str
    reason: str
    detail: str
    filtered: bool = False

    def __str__(self) -> str:
        return f"{self.where} {self.reason}: {self.detail}" if self.where else f"{self.reason}: {self.detail}"


# The default wording of each failing verdict; commands pass their own (they are pinned by tests and scripts).
# Fields: source, noun, input, kept, filtered, rejected, dropped, counts, first.
MESSAGES = {
    Verdict.EMPTY: "{source} holds no {noun}s",
    Verdict.NOTHING_KEPT: "no {noun} of {source} was kept: {dropped} of {input} dropped ({counts}); first: {first}",
    Verdict.STRICT_REJECTED: "--strict: {rejected} of {input} {noun}s rejected ({counts}); first: {first}",
}


@dataclass
class RowAccount:
    """Counts of one run's rows. Call :meth:`add_input` once per row read, then exactly one of :meth:`keep`,
    :meth:`filter` or :meth:`reject` for it."""

    input: int = 0
    kept: int = 0
    filtered: Counter[str] = field(default_factory=Counter)
    rejected: Counter[str] = field(default_factory=Counter)
    examples: list[RowExample] = field(default_factory=list)  # in order seen, at most a few per reason

    def add_input(self, count: int = 1) -> None:
        self.input += count

    def keep(self, count: int = 1) -> None:
        self.kept += count

    def filter(self, reason: str, where: str = "", detail: str = "") -> None:
        """A row dropped by a rule the user asked for."""
        self.filtered[reason] += 1
        self._example(RowExample(where, reason, detail, filtered=True), self.filtered[reason])

    def reject(self, reason: str, where: str = "", detail: str = "") -> None:
        """A row that could not be used."""
        self.rejected[reason] += 1
        self._example(RowExample(where, reason, detail), self.rejected[reason])

    def reject_kept(self, reason: str, count: int, where: str = "", detail: str = "") -> None:
        """Move ``count`` rows already counted kept to rejected: a later step found them unusable (a response
        whose id no benchmark row has)."""
        if not 0 < count <= self.kept:
            raise ValueError(f"cannot reject {count} of {self.kept} kept rows")
        self.kept -= count
        self.rejected[reason] += count
        self._example(RowExample(where, reason, detail), 1)

    def _example(self, example: RowExample, seen: int) -> None:
        if seen <= EXAMPLES_PER_REASON:
            self.examples.append(example)

    @property
    def filtered_total(self) -> int:
        return sum(self.filtered.values())

    @property
    def rejected_total(self) -> int:
        return sum(self.rejected.values())

    @property
    def dropped(self) -> Counter[str]:
        """Filtered and rejected rows by reason."""
        return self.filtered + self.rejected

    def first_of_each_reason(self, limit: int | None = None) -> list[RowExample]:
        """The first example of each reason, in the order the reasons first appeared."""
        seen: set[tuple[bool, str]] = set()
        first = []
        for example in self.examples:
            if (example.filtered, example.reason) not in seen:
                seen.add((example.filtered, example.reason))
                first.append(example)
        return first if limit is None else first[:limit]

    def check_balance(self) -> None:
        """Raise :class:`AssertionError` unless every row read ended in exactly one bucket."""
        if self.kept + self.filtered_total + self.rejected_total != self.input:
            raise AssertionError(
                f"row accounting broke: {self.kept} kept + {self.filtered_total} filtered + "
                f"{self.rejected_total} rejected != {self.input} input"
            )

    def verdict(self, strict: bool = False) -> Verdict:
        """The exit rule, in one place."""
        self.check_balance()
        if self.input == 0:
            return Verdict.EMPTY
        if self.kept == 0:
            return Verdict.NOTHING_KEPT
        if strict and self.rejected_total:
            return Verdict.STRICT_REJECTED
        return Verdict.OK

    def outcome(
        self,
        strict: bool = False,
        *,
        source: str = "the input",
        noun: str = "row",
        messages: Mapping[Verdict, str] | None = None,
        first: str | None = None,
        **fields: object,
    ) -> None:
        """Raise when :meth:`verdict` fails the run: :class:`UsageError` for an empty input, :class:`RunError`
        otherwise. ``messages`` overrides the wording per verdict (format fields: ``source``, ``noun``, ``input``,
        ``kept``, ``filtered``, ``rejected``, ``dropped``, ``counts``, ``first``, plus any ``fields`` given);
        ``first`` overrides how the first examples are quoted."""
        verdict = self.verdict(strict)
        if verdict is Verdict.OK:
            return
        template = {**MESSAGES, **(messages or {})}[verdict]
        message = template.format(**{**self.message_fields(source, noun, first), **fields})
        raise (UsageError if verdict is Verdict.EMPTY else RunError)(message)

    def message_fields(self, source: str = "the input", noun: str = "row", first: str | None = None) -> dict[str, Any]:
        counted = self.rejected if not self.filtered else self.dropped
        return {
            "source": source,
            "noun": noun,
            "input": self.input,
            "kept": self.kept,
            "filtered": self.filtered_total,
            "rejected": self.rejected_total,
            "dropped": self.filtered_total + self.rejected_total,
            "counts": ", ".join(f"{reason} {count}" for reason, count in counted.most_common()),
            "first": "; ".join(map(str, self.first_of_each_reason(3))) if first is None else first,
        }

    def to_dict(self) -> dict[str, Any]:
        """The shape every report shares: ``input``, ``kept``, ``filtered`` and ``rejected`` (reason -> count)."""
        return {
            "input": self.input,
            "kept": self.kept,
            "filtered": dict(self.filtered),
            "rejected": dict(self.rejected),
        }


class CountedRows:
    """Base of a report that holds its :class:`RowAccount` in ``rows``: the counts read as the report's own
    attributes (``report.kept``), written once here for every report."""

    rows: RowAccount

    @property
    def input(self) -> int:
        return self.rows.input

    @property
    def kept(self) -> int:
        return self.rows.kept

    @property
    def filtered(self) -> Counter[str]:
        return self.rows.filtered

    @property
    def rejected(self) -> Counter[str]:
        return self.rows.rejected

    @property
    def filtered_total(self) -> int:
        return self.rows.filtered_total

    @property
    def rejected_total(self) -> int:
        return self.rows.rejected_total
