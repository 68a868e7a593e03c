"""The values an answer states: ``5 or 6``, ``5，6``, ``x = 5 \\quad x = 6`` and ``$5$ $6$`` state two.

A hedge offers several values and hopes one is right; a GRPO policy finds every separator the grader does not
read as one. So this splits on anything a person reads as "or/and/another value", and keeps together what is
one value: tuples and intervals (``(1, 2)``, ``[0, 1)``), thousands (``1,000``, ``1\\,000``), a value and its
unit (``12\\,\\text{cm}``).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from vision_r1_plugins.reward.answer import unwrap_text_commands
from vision_r1_plugins.reward.boxes import BOXED, box_spans

_SPLIT = "\x1f"  # a separator no answer contains

# Rows of these environments are separate statements; matrices stay one value.
_ROW_ENVIRONMENTS = re.compile(
    r"\\(?:begin|end)\s*\{\s*(?:cases|aligned|align\*?|gathered|gather\*?|split|array)\s*\}(?:\{[^{}]*\})?"
)
_NESTED = r"[^()]*(?:\([^()]*\)[^()]*)*"
_PARENTHETICAL = re.compile(
    r"\(\s*(?:or|possibly|maybe|perhaps|probably|alternatively|otherwise|or\s+else|else|also|equivalently|i\.?\s?e\.?,?"
    r"|or\s+equivalently|and|if\s+not,?|failing\s+that,?|或者?|也可能|可能|即|否则)(?![A-Za-z])\s*"
    rf"(?P<alternative>{_NESTED})\)",
    re.IGNORECASE,
)
# "5 (6?)", "\frac{3}{4} (0.75)": a value in parentheses after a space is another statement of a value.
_VALUE_IN_PARENTHESES = re.compile(r"(?<=\s)\((?P<alternative>[^(),]*\d[^(),]*)\)")
_OR_WORDS = re.compile(
    r"(?<![A-Za-z\\])(?:or|and|nor|either|vs\.?|versus|otherwise)(?![A-Za-z])|或者|或是|或|以及|和|及|还是|与|または|或いは"
    r"|\\(?:lor|vee|cup|wedge|land|atop|choose)(?![A-Za-z])",
    re.IGNORECASE,
)
_LINE_BREAKS = re.compile(r"\\\\(?:\[[^\]]*\])?|\\(?:newline|cr|break|linebreak|par)(?![A-Za-z])|\r?\n")
_SPACING = re.compile(
    r"\\(?:q?quad|enspace|enskip|space|thinspace|medspace|thickspace)(?![A-Za-z])"
    r"|\\(?:hspace\*?|phantom|hphantom)\s*\{[^{}]*\}|\\m?kern\s*-?[\d.]+\s*[a-z]{2}|\\hskip\s*-?[\d.]+\s*[a-z]{2}"
    r"|\\[ ;:]|~"
)
# Math delimiters other than $: "\(5\) \(6\)" is two groups.
_MATH_DELIMITERS = re.compile(r"\\[()\[\]]")
# Arrows, ellipses, bars and colons between values, a sentence break ("5. 6"), a percent sign before another
# number: each leaves two statements, and math-verify would quietly read only the last.
_JOINERS = re.compile(
    r"\\(?:to|rightarrow|Rightarrow|longrightarrow|Longrightarrow|implies|iff|mapsto|leftrightarrow|Leftrightarrow"
    r"|mid|vert|Vert|parallel|perp|colon|dots|ldots|cdots|vdots|ddots|therefore|because|qed)(?![A-Za-z])"
    r"|[→⇒⟹↦⇔↔•∴∵#@?`]|\.{2,}|(?<=\d)\s*\.\s+(?=[-+]?\.?\d)|(?<=%)\s*(?=[-+]?\d)|(?<=\d)\s*_\s*(?=\d)"
)
_LEADING_JUNK = re.compile(r"^(?:[!*?@#&:;,^_`\s]|\.(?!\d)|\\cdot|\\times)+(?=[-+(\\\d.])")
# Between digits and a 3-digit group: a thousands separator (``1\,000``); anywhere else thin spaces are spaces.
_THIN_THOUSANDS = re.compile(r"(?<=\d)\\[,;:!](?=\d{3}(?!\d))")
_THIN_SPACE = re.compile(r"\\[,!]")

# One complete value, so that whitespace between two of them separates candidates ("5 6", "x_1 = 5 x_2 = 6").
_VARIABLE = r"(?:[A-Za-z]{1,3}(?:_\{?[A-Za-z0-9]+\}?)?'*\s*=\s*)"
_ATOM = (
    r"[-+]?(?:\d+(?:\.\d+)?|\.\d+|\\[dt]?frac\s*\{[^{}]*\}\s*\{[^{}]*\}|\d*\s*\\sqrt\s*\{[^{}]*\}|\\pi)"
    r"(?:\s*\^\s*(?:\{[^{}]*\}|\d))?"
)
_COMPLETE_VALUE = re.compile(rf"\s*{_VARIABLE}?{_ATOM}\s*")
# A value after whitespace is a second value only when it starts like one: "4 \sqrt{2}" is a product.
_STARTS_A_VALUE = re.compile(rf"\s*(?:{_VARIABLE}|[-+]?\.?\d)")


_MATRIX = re.compile(r"\\begin\s*\{\s*([pbvVB]?matrix|smallmatrix)\s*\}.*?\\end\s*\{\s*\1\s*\}", re.DOTALL)


def _outside_matrices(text: str, change: Callable[[str], str]) -> str:
    """``change`` applied to the text outside matrices: a matrix's rows are one value."""
    out: list[str] = []
    position = 0
    for match in _MATRIX.finditer(text):
        out.append(change(text[position : match.start()]))
        out.append(match.group(0))
        position = match.end()
    out.append(change(text[position:]))
    return "".join(out)


def _unwrap_boxes(text: str) -> str:
    """Every ``\\boxed{x}`` as a candidate of its own: ``\\boxed{5}\\boxed{6}`` states two values."""
    out: list[str] = []
    position = 0
    for start, end, content in box_spans(text):
        out.append(f"{text[position:start]}{_SPLIT}{content}{_SPLIT}")
        position = end
    out.append(text[position:])
    return "".join(out)


def _split_at_depth_zero(text: str) -> list[str]:
    pieces: list[str] = []
    depth = 0
    current: list[str] = []
    bars = _depth_zero_bars(text)
    for index, char in enumerate(text):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth = max(depth - 1, 0)
        elif char == _SPLIT or (
            depth == 0
            and (
                char in ";、"
                or (char == "," and not _is_thousands_separator(text, index))
                or (char == "|" and bars)
                or (char == "/" and _between_words(text, index))
            )
        ):
            pieces.append("".join(current))
            current = []
            continue
        current.append(char)
    pieces.append("".join(current))
    return pieces


def _depth_zero_bars(text: str) -> bool:
    """Whether ``|`` separates values here: a lone bar, or bars with spaces around them. ``|x|`` (an absolute
    value) keeps its pair of bars."""
    count = text.count("|")
    return count % 2 == 1 or " | " in text


def _between_words(text: str, index: int) -> bool:
    """A slash between two words or letters ("A/C", "yes/no") separates them; between numbers it divides."""
    before = text[:index].rstrip()[-1:]
    after = text[index + 1 :].lstrip()[:1]
    return before.isalpha() and after.isalpha()


def _is_thousands_separator(text: str, index: int) -> bool:
    before = text[index - 1] if index > 0 else ""
    group = text[index + 1 : index + 4]
    after = text[index + 4] if index + 4 < len(text) else ""
    return before.isdigit() and len(group) == 3 and group.isdigit() and not after.isdigit()


def _split_complete_values(piece: str) -> list[str]:
    """``5 6`` or ``x_1 = 5  x_2 = 6`` (values joined only by spacing) -> each value; anything else whole."""
    values: list[str] = []
    position = 0
    while position < len(piece):
        match = _COMPLETE_VALUE.match(piece, position)
        if match is None or match.end() == position or (values and not _STARTS_A_VALUE.match(piece, position)):
            return [piece]
        values.append(match.group(0).strip())
        position = match.end()
        if position < len(piece) and not piece[position - 1].isspace():
            return [piece]  # "2\sqrt{3}" is one value; only whitespace separates values
    return values if len(values) > 1 else [piece]


def split_candidates(text: str) -> list[str]:
    """The candidate values ``text`` states, in order, each stripped; empty pieces dropped."""
    text = _THIN_THOUSANDS.sub("", unwrap_text_commands(text))
    text = _THIN_SPACE.sub(" ", text)
    text = _ROW_ENVIRONMENTS.sub(_SPLIT, text).replace("&", " ")
    text = _PARENTHETICAL.sub(lambda match: f"{_SPLIT}{match.group('alternative')}", text)
    text = _VALUE_IN_PARENTHESES.sub(lambda match: f"{_SPLIT}{match.group('alternative')}", text)
    if BOXED in text:
        text = _unwrap_boxes(text)
    text = _MATH_DELIMITERS.sub(_SPLIT, text.replace("$", _SPLIT))
    text = _JOINERS.sub(_SPLIT, text.replace("\\%", "%"))
    text = _outside_matrices(text, lambda part: _LINE_BREAKS.sub(_SPLIT, part))
    text = _OR_WORDS.sub(_SPLIT, text)
    text = _SPACING.sub(" ", text)
    candidates: list[str] = []
    for piece in _split_at_depth_zero(text):
        piece = _LEADING_JUNK.sub("", _balance(piece.strip().rstrip(".?").strip()))
        if piece:
            candidates.extend(_split_complete_values(piece))
    return candidates


def _balance(piece: str) -> str:
    """A piece cut out of brackets ("(5" and "6)" from "(5 or 6)") without its unmatched brackets."""
    while _depth_change(piece) > 0 and (opener := re.match(r"\\?[(\[{]", piece)):
        piece = piece[opener.end() :].strip()
    while _depth_change(piece) < 0 and (closer := re.search(r"\\?[)\]}]$", piece)):
        piece = piece[: closer.start()].strip()
    return piece.rstrip("\\").strip()


def _depth_change(text: str) -> int:
    return sum(text.count(char) for char in "([{") - sum(text.count(char) for char in ")]}")


def count_candidates(text: str) -> int:
    """How many values ``text`` states (``\\pm`` counts twice: ``\\pm 5`` is two values)."""
    candidates = split_candidates(text)
    return max(1, len(candidates)) * (2 if "\\pm" in text or "±" in text or "\\mp" in text else 1)
