"""What the reader makes of an answer: the values it states, and what every part of its text was."""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from vision_r1_plugins.answers.exact import Surd

# Kinds of value. number: an exact number (``exact`` is set); expression: any other math (math-verify compares
# it); letter: a capital that can name an option; yes_no: "yes" or "no"; word: words ("isosceles"); label: a
# point, segment or angle name (AB); tuple, interval, set: ``items`` holds the elements; relation: ``x > 5``.
KINDS = ("number", "expression", "letter", "yes_no", "word", "label", "tuple", "interval", "set", "relation")


@dataclass(frozen=True)
class Value:
    kind: str
    text: str  # canonical: LaTeX for math, "C" for a letter, "yes"/"no", lower-case words
    start: int  # where it is written in the reading's text
    end: int
    exact: Surd | None = None
    places: int | None = None  # decimals as written ("1.50": 2), for a decimal number
    unit: str | None = None  # the unit registry's name, "units" for a counting word, None when none is written
    approximate: bool = False  # "\approx 1.73", "about 5", "0.333..."
    plus_minus: bool = False  # "\pm 5" states two values
    label: str | None = None  # what it is the value of: "x" in "x = 5", "the length of AB" in a statement
    equated: bool = False  # stated in an equation or a statement ("2x = 10", "The area is 12")
    option: tuple[Value, ...] = ()  # a letter written with its option's text ("C. 6\pi"): that text's values
    items: tuple[Value, ...] = ()  # the elements of a tuple, interval or set
    brackets: str = ""  # an interval's or tuple's brackets, e.g. "[)"
    # a number or a rational function of letters at this process's random points (see answers.samples)
    samples: tuple[Fraction, ...] | None = field(default=None, repr=False, compare=False)


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    text: str
    role: str  # what consumed it: value, unit, wrapper, lead_in, label, separator, punctuation, ...


@dataclass(frozen=True)
class Reading:
    text: str  # the answer as read (after character normalisation; spans index into it)
    values: tuple[Value, ...] = ()
    unaccounted: Span | None = None  # the first part the grammar could not derive
    why: str = ""  # why that part is unaccounted
    spans: tuple[Span, ...] = field(default=(), repr=False)

    @property
    def complete(self) -> bool:
        """Every part of the text is accounted for, and it states at least one value."""
        return self.unaccounted is None and bool(self.values)

    def describe_unaccounted(self) -> str:
        """``'⟶' at 2: no rule of the answer language covers it`` (empty when complete)."""
        if self.unaccounted is None:
            return ""
        shown = self.unaccounted.text or "(the end of the answer)"
        return f"{shown!r} at {self.unaccounted.start}: {self.why}"
