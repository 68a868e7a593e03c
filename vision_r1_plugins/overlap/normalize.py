"""Question text as the overlap check compares it: one canonical form for every way a dataset writes a problem.

Two copies of a benchmark question differ in ways that say nothing about the problem: Unicode forms and case,
LaTeX spacing (``\\frac {1}{2}``, ``\\,``, ``\\left(``) and delimiters (``$..$``, ``\\(..\\)``), punctuation and
whitespace, ``<image>`` placeholders, an instruction preamble before ``Question:`` (MathVista, MathVerse), and
how the options are listed (a ``choices`` column, ``Choices:\\n(A) ..`` in the text, ``A: ..`` lines,
``A. ..;B. ..``) and in which order.
:func:`normalise` removes all of that: the result is the question's stem as tokens plus its options as an
unordered set, so reordered options compare equal.

Tokens are words (letter runs), numbers (``3.50`` and ``3.5`` are one number), LaTeX command names (``\\frac`` is
``frac``) and math operators; CJK characters are one token each (MM-Math is Chinese and has no spaces). Braces,
brackets, parentheses and punctuation carry grouping, not content, and are dropped, so ``x^{2}`` equals ``x^2``.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "FUNCTION_WORDS",
    "NormalText",
    "contains_content",
    "content_tokens",
    "normalise",
    "split_options",
    "tokens_of",
]

# Placeholders datasets leave in the question: LLaMA-Factory's <image>, MathVision's <image1>, <video>.
_PLACEHOLDER = re.compile(r"<\s*(?:image|video|audio)\s*\d*\s*>", re.IGNORECASE)
# An instruction preamble before a line that starts with "Question:": MathVista's query ("Hint: ..\nQuestion: .."),
# MathVerse's query_cot ("Please first conduct reasoning, ..\nQuestion: ..").
_HINT = re.compile(r"^.*?(?:^|\n)\s*question\s*:\s*", re.IGNORECASE | re.DOTALL)
_DELIMITERS = re.compile(r"\\[()\[\]]|\$")
# Commands that only space, size or style: removed, their argument (if any) kept.
_NOISE_COMMANDS = re.compile(
    r"\\(?:left|right|big|Big|bigg|Bigg|displaystyle|textstyle|quad|qquad|mathrm|mathbf|mathit|text|textbf|"
    r"operatorname|rm|bf)(?![a-zA-Z])|\\[,;:!> ]"
)
_FRAC_ALIASES = re.compile(r"\\[dt]frac(?![a-zA-Z])")
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(
    rf"[{_CJK}]"  # one CJK character
    r"|\\[a-zA-Z]+"  # a LaTeX command
    r"|\d+(?:\.\d+)?"  # a number
    rf"|[^\W\d_{_CJK}]+"  # a run of letters
    r"|[+\-*/=<>^|%°√π∠△⊥∥≠≤≥±×÷·]"  # an operator that changes the meaning
)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
# Words that carry grammar, not the problem: an added or dropped one leaves the question the same, so they are left
# out of the content rule. Everything else is content: nouns, verbs, adjectives, numbers, LaTeX commands, operators,
# single letters (point and variable names) other than the article "a", and every CJK character but a few particles.
FUNCTION_WORDS = frozenset(
    "a an the this that these those it its it's they them their there here of in on at to for from by with as into "
    "onto than then and or but nor so if else while whether be is are was were been being am do does did has have "
    "had having will would shall should can could may might must what which who whom whose how when where why "
    "please you your we our us i me my he she his her one each any some all both either neither such also only "
    "just very about above below up down over under again further same other own not no yes".split()
) | frozenset("的了是在和与及为则之")
_CHOICES_MARKER = re.compile(r"(?:^|\n|\s)(?:choices|options)\s*:", re.IGNORECASE)
_OPTION_LINE = re.compile(r"^\s*\(?([A-H])\s*[).:：．]\s*(.*?)\s*$")
_INLINE_OPTION = re.compile(r"\(([A-H])\)\s*(.*?)\s*(?=\([A-H]\)|$)", re.DOTALL)
_SEMICOLON_OPTION = re.compile(r"([A-H])\s*[.:：]\s*(.*?)\s*(?=;\s*[A-H]\s*[.:：]|$)", re.DOTALL)


@dataclass(frozen=True)
class NormalText:
    """A question in canonical form: ``stem`` tokens, ``options`` (each option's tokens joined by spaces,
    sorted), and ``numbers`` (the numbers of stem and options, as a sorted tuple, for the template rule)."""

    stem: tuple[str, ...]
    options: tuple[str, ...]
    numbers: tuple[str, ...]

    @property
    def canonical(self) -> str:
        """One string per problem: equal for two copies that differ only in what :func:`normalise` removes."""
        return " ".join(self.stem) + "\x1f" + "\x1e".join(self.options)

    @property
    def digest(self) -> bytes:
        """A 16-byte hash of :attr:`canonical`, the exact-match key."""
        return hashlib.blake2b(self.canonical.encode("utf-8"), digest_size=16).digest()

    def is_empty(self) -> bool:
        return not self.stem and not self.options


def _number(token: str) -> str:
    # "3.50" and "3.5", "2.0" and "2" are one number.
    return token.rstrip("0").rstrip(".") if "." in token else token.lstrip("0") or "0"


def tokens_of(text: str) -> list[str]:
    """The tokens of ``text`` after Unicode, case and LaTeX normalisation (see the module docstring)."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = _PLACEHOLDER.sub(" ", text)
    text = _DELIMITERS.sub(" ", text)
    text = _FRAC_ALIASES.sub(r"\\frac", text)
    text = _NOISE_COMMANDS.sub(" ", text.replace("~", " "))
    tokens = []
    for token in _TOKEN.findall(text):
        if token.startswith("\\"):
            token = token[1:]
        elif token[0].isdigit():
            token = _number(token)
        tokens.append(token)
    return tokens


def _options_from_lines(block: str) -> tuple[str, ...] | None:
    """``(A) x`` / ``A: x`` / ``A. x`` one per line, lettered from A in order."""
    options: list[str] = []
    for line in block.splitlines():
        match = _OPTION_LINE.match(line)
        if match and match.group(1) == chr(ord("A") + len(options)):
            options.append(match.group(2))
        elif options and line.strip():
            options[-1] += " " + line.strip()  # an option that wraps onto the next line
    return tuple(options) if len(options) >= 2 else None


def _options_inline(block: str, pattern: re.Pattern[str]) -> tuple[str, ...] | None:
    found = pattern.findall(block)
    if len(found) < 2 or [letter for letter, _ in found] != [chr(ord("A") + i) for i in range(len(found))]:
        return None
    return tuple(text.strip().rstrip(";").strip() for _, text in found)


def parse_options(block: str) -> tuple[str, ...] | None:
    """Options listed in ``block`` one per line, inline as ``(A) x (B) y``, or as ``A. x;B. y`` (WeMath)."""
    return (
        _options_from_lines(block)
        or _options_inline(block, _INLINE_OPTION)
        or _options_inline(block.replace("\n", " "), _SEMICOLON_OPTION)
    )


def split_options(question: str) -> tuple[str, tuple[str, ...] | None]:
    """(the question without its listed options, the options) when the text lists them after ``Choices:`` /
    ``Options:``; (the question, None) otherwise."""
    markers = list(_CHOICES_MARKER.finditer(question))
    if not markers:
        return question, None
    marker = markers[-1]
    options = parse_options(question[marker.end() :])
    if options is None:
        return question, None
    return question[: marker.start()], options


def normalise(question: str, choices: Sequence[str] | None = None) -> NormalText:
    """The canonical form of a question and its options (given apart, or listed in the text).

    >>> normalise("Find  $x$,  given 10.  Choices: (A) 5 (B) 2") == normalise("find x given 10", ["2", "5"])
    True
    """
    text = _PLACEHOLDER.sub(" ", question)
    text = _HINT.sub("", text, count=1)
    stem, listed = split_options(text)
    if choices:
        # The options come apart; where the text lists them too, that listing is scaffolding.
        listed = tuple(str(option) for option in choices)
    stem_tokens = tuple(tokens_of(stem))
    options = tuple(sorted({" ".join(tokens_of(option)) for option in listed or ()} - {""}))
    numbers = [token for token in stem_tokens if _NUMBER.fullmatch(token)]
    numbers += [token for option in options for token in option.split() if _NUMBER.fullmatch(token)]
    return NormalText(stem_tokens, options, tuple(sorted(numbers)))


def same_numbers(left: NormalText, right: NormalText) -> bool:
    """Whether two texts hold the same numbers (as multisets): the template rule of near matches."""
    return left.numbers == right.numbers


def content_tokens(text: NormalText) -> Counter[str]:
    """The content tokens of a question, stem and options, as a multiset: every token but :data:`FUNCTION_WORDS`."""
    tokens = [token for token in text.stem if token not in FUNCTION_WORDS]
    tokens += [token for option in text.options for token in option.split() if token not in FUNCTION_WORDS]
    return Counter(tokens)


def contains_content(left: Counter[str], right: Counter[str]) -> bool:
    """Whether one content multiset holds the other: the substitution rule of near matches. A copy may add words (an
    instruction sentence) or drop some, but a content word swapped for another (``area`` for ``perimeter``) makes
    another question, and then neither side holds the other."""
    return not (left - right) or not (right - left)
