"""One stated value: what it is, in which unit, and whether it is a value at all.

``x = 5`` is the value 5; ``\\neq 5``, ``< 5``, ``5+``, ``5 or more`` and ``at least 5`` are not values but
relations, and never equal a single-valued gold. ``\\approx v`` is v, marked approximate.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

from vision_r1_plugins.reward.numbers import ExactValue, decimal_places, exact_value
from vision_r1_plugins.reward.units import split_unit

# A variable on the left of "=": x, x_1, x_{12}, AB, \angle ABC, m\angle A, f(2), S_{\triangle ABC}.
_GREEK = r"\\(?:alpha|beta|gamma|delta|epsilon|varepsilon|theta|vartheta|phi|varphi|psi|omega|lambda|mu|sigma|rho|tau)"
_VARIABLE = re.compile(
    r"(?:m\s*)?(?:\\angle\s*\d{1,2}|(?:\\angle\s*|\\triangle\s*|\\overline\s*|\\overrightarrow\s*)?"
    rf"\{{?(?:[A-Za-z]{{1,12}}|{_GREEK}(?![A-Za-z])|[α-ωΑ-Ω])\}}?)"
    r"(?:_\{[^{}=]{1,20}\}|_[A-Za-z0-9])?'*(?:\([A-Za-z0-9, ]{1,12}\))?\s*"
)
_EQUALS = re.compile(r"=\s*")
VARIABLE_NAME = re.compile(rf"\s*(?:{_VARIABLE.pattern})")
_RELATION = re.compile(
    r"\\(?:neq|ne|not|neg|lnot|leq?|geq?|leqq|geqq|leqslant|geqslant|lt|gt|ll|gg|nless|ngtr|nleq|ngeq|prec|succ"
    r"|preceq|succeq|textless|textgreater|in|notin|ni|subset|subseteq|supset|supseteq|sim|simeq|equiv|propto|cong"
    r"|approx|approxeq|thickapprox|thicksim)(?![A-Za-z])|[<>≤≥≠≈∈¬✗✘❌❎]"
)
_MEMBERSHIP = re.compile(r"\\in(?![A-Za-z])|∈")
_APPROX = re.compile(
    r"(?:\\(?:approx|approxeq|thickapprox)(?![A-Za-z])|≈|(?:approximately|approx\.?|about|around|roughly|circa)"
    r"(?![A-Za-z])|大约|约)\s*",
    re.IGNORECASE,
)
# "5 (approx.)", "5 approximately", "5 左右": an approximate value.
_TRAILING_APPROX_WORDS = re.compile(
    r"\s*(?:\(\s*(?:approx\.?|approximately|about|roughly|circa|rounded[^()]*)\s*\)|approx\.?|approximately|roughly"
    r"|左右)\s*$",
    re.IGNORECASE,
)
# Words that turn a value into a bound: "5 or more", "at least 5", "more than 5", "5+".
VALUE_CHANGING = re.compile(
    r"(?<![A-Za-z])(?:(?:or|and)\s+(?:more|less|fewer|greater|higher|lower|above|below|over|under|up|so)"
    r"|at\s+(?:least|most)|(?:more|less|fewer|greater|higher|lower|bigger|smaller)\s+than|up\s+to"
    r"|no\s+(?:more|less|fewer)|nearly|almost|below|above|plus|minus|or\s+so|at\s+minimum"
    r"|at\s+maximum)(?![A-Za-z])"
    r"|至少|至多|最多|最少|以上|以下|不超过|不少于|大于|小于|超过",
    re.IGNORECASE,
)
_TRAILING_SIGN = re.compile(r"(?:[\d}).]\s*|\^\s*\{?\s*)[+\-]\s*\}?\s*$")
_PLUS_MINUS = re.compile(r"\\pm(?![A-Za-z])|\\mp(?![A-Za-z])|±|∓")


@dataclass(frozen=True)
class Quantity:
    text: str  # the value, without variable, relation or unit
    unit: str | None  # canonical unit, "units" for a counting word, None when none is written
    relation: bool = False  # a bound or inequality, not a value
    approximate: bool = False  # written after \approx
    plus_minus: bool = False  # \pm 5 stands for two values
    membership: bool = False  # "x \in [0, 1)": the only relation an interval gold accepts

    @functools.cached_property
    def exact(self) -> ExactValue | None:
        return exact_value(self.text)

    @property
    def places(self) -> int | None:
        return decimal_places(self.text)


def parse_quantity(candidate: str) -> Quantity:
    text = candidate.strip()
    relation = approximate = False
    variable = _VARIABLE.match(text)
    if variable and variable.end() < len(text):
        rest = text[variable.end() :]
        equals = _EQUALS.match(rest)
        if equals and not rest.startswith("=="):
            text = rest[equals.end() :]
        elif _RELATION.match(rest):
            text = rest  # "x < 5": judged as the relation "< 5"
    text = text.lstrip("= ").strip()
    membership = False
    approx = _APPROX.match(text)
    leading = approx or _RELATION.match(text)
    if leading:
        approximate, relation = approx is not None, approx is None
        membership = bool(_MEMBERSHIP.match(text))
        text = text[leading.end() :].strip()
    trailing = _TRAILING_APPROX_WORDS.search(text)
    if trailing:
        approximate = approximate or "rounded" not in trailing.group(0).lower()
        text = text[: trailing.start()].strip()
    if _RELATION.search(text) or VALUE_CHANGING.search(text) or _TRAILING_SIGN.search(text):
        relation, membership = True, False
    plus_minus = bool(_PLUS_MINUS.search(text))
    value, unit = split_unit(text)
    return Quantity(value, unit, relation, approximate, plus_minus, membership)


def has_relation(text: str) -> bool:
    """Whether ``text`` states a relation rather than values (golds like ``x > 2`` are judged whole)."""
    return bool(_RELATION.search(text) or VALUE_CHANGING.search(text))
