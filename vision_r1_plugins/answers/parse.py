"""Read an answer: lex, post-lex (tokens.py), parse with the grammar (grammar.lark), then build the values.

The builder also checks what the grammar cannot express: a statement's subject uses only the lexicon's nouns
and adjectives and math labels; a repeating decimal repeats; a unit is one the registry knows. A failed check
makes the reading incomplete, exactly like a parse error, and names the part it could not accept.
"""

from __future__ import annotations

import functools
import re
from fractions import Fraction
from pathlib import Path

from lark import Lark, Token, Tree
from lark.exceptions import UnexpectedCharacters, UnexpectedEOF, UnexpectedInput, UnexpectedToken

from vision_r1_plugins.answers import exact
from vision_r1_plugins.answers import samples as samples_
from vision_r1_plugins.answers.characters import has_content, normalize_answer_text
from vision_r1_plugins.answers.exact import Surd
from vision_r1_plugins.answers.lexicon import CURRENCY_WORDS, HAN_UNITS
from vision_r1_plugins.answers.reading import Reading, Span, Value
from vision_r1_plugins.answers.tokens import PostLexer, dropped_tokens
from vision_r1_plugins.answers.units import GENERIC, canonical_unit, unit_name

GRAMMAR_PATH = Path(__file__).with_name("grammar.lark")
# Longer answers are not read: the reward caps them first (max_answer_chars), and parsing cost grows with length.
MAX_CHARS = 2000


@functools.lru_cache(maxsize=1)
def parser() -> Lark:
    # cache: the LALR tables take ~0.8 s to build and 0.1 s to load from lark's cache in the temp folder (every
    # verifier worker and CLI run starts a parser).
    return Lark(
        GRAMMAR_PATH.read_text(encoding="utf-8"),
        parser="lalr",
        lexer="basic",
        postlex=PostLexer(),
        maybe_placeholders=False,
        cache=True,
    )


class Unaccounted(Exception):
    """A part of the answer the language does not cover."""

    def __init__(self, start: int, end: int, why: str) -> None:
        super().__init__(why)
        self.start, self.end, self.why = start, end, why


_WHY = {
    "COMMAND": "a LaTeX command the answer language does not have",
    "HAN": "a character the answer language does not have",
    "WORD": "a word the answer language does not read here",
    "STRIKE": "struck-out text",
}


@functools.lru_cache(maxsize=1 << 14)
def read_answer(text: str) -> Reading:
    """Read ``text`` (an answer, not a whole response). Never raises: what cannot be read is reported in
    :attr:`Reading.unaccounted`."""
    normalized = normalize_answer_text(text[: MAX_CHARS * 2])
    if len(normalized) > MAX_CHARS:
        return Reading(
            normalized,
            unaccounted=Span(MAX_CHARS, len(normalized), "", "unaccounted"),
            why=f"answers longer than {MAX_CHARS} characters are not read",
        )
    if not has_content(normalized):
        return Reading(normalized)
    try:
        tree = parser().parse(normalized)
        values = tuple(_Builder(normalized).answer(tree))
    except UnexpectedInput as error:
        start, end, why = _where(error, normalized)
        return Reading(normalized, unaccounted=Span(start, end, normalized[start:end], "unaccounted"), why=why)
    except Unaccounted as error:
        span = Span(error.start, error.end, normalized[error.start : error.end], "unaccounted")
        return Reading(normalized, unaccounted=span, why=error.why)
    except RecursionError:
        return Reading(
            normalized, unaccounted=Span(0, len(normalized), normalized, "unaccounted"), why="nested too deeply to read"
        )
    spans = tuple(Span(token.start_pos, token.end_pos, token.value, "wrapper") for token in dropped_tokens())
    return Reading(normalized, values, spans=spans + tuple(_value_spans(values)))


def _value_spans(values: tuple[Value, ...]) -> list[Span]:
    return [Span(value.start, value.end, "", "value") for value in values]


def _where(error: UnexpectedInput, text: str) -> tuple[int, int, str]:
    if isinstance(error, UnexpectedCharacters):
        start = error.pos_in_stream
        end = start + 1
        while end < len(text) and not text[end].isspace() and not text[end].isascii():
            end += 1
        return start, end, "no token of the answer language starts here"
    if isinstance(error, UnexpectedToken) and error.token.type != "$END":
        token = error.token
        why = _WHY.get(token.type, f"{_describe(token.type)} cannot stand here")
        return token.start_pos, token.end_pos, why
    if isinstance(error, UnexpectedEOF | UnexpectedToken):
        return len(text), len(text), "the answer ends before what it started is complete"
    return 0, len(text), "unreadable"


def _describe(kind: str) -> str:
    return {"NUMBER": "a number", "WORD": "a word", "CAPITAL": "a letter", "VARIABLE": "a letter"}.get(
        kind, f"this ({kind.lower()})"
    )


# --------------------------------------------------------------------------------------------------- builder
def _leaves(node: Tree | Token) -> list[Token]:
    if isinstance(node, Token):
        return [node]
    out: list[Token] = []
    for child in node.children:
        out.extend(_leaves(child))
    return out


def _bounds(node: Tree | Token) -> tuple[int, int]:
    leaves = _leaves(node)
    return leaves[0].start_pos, leaves[-1].end_pos


_THOUSANDS = re.compile(r"(?<=\d)(?:,|\{,\}|\\,|[ \u00a0\u2009\u202f])(?=\d{3})")
_CANONICAL = {
    "TIMES": "\\cdot",
    "STAR": "\\cdot",
    "DEGREE": "^{\\circ}",
    "PRIME": "'",
    "LSET": "\\{",
    "RSET": "\\}",
    "PERCENT": "\\%",
    "PM": None,
    "FRAC": "\\frac",
    "BINOM": "\\binom",
    "ELLIPSIS": "\\ldots",
}


def _latex(node: Tree | Token) -> str:
    """The canonical LaTeX of a math subtree (thousands separators removed, one spelling per operator), for
    math-verify and for comparing spellings. What math-verify would misread is written out: an implicit product
    gets its ``\\cdot`` (it reads ``\\frac{1}{2}ab`` as 1/2), a mixed number its ``+``, a trigonometric argument in
    degrees its conversion to radians (it reads ``\\sin 30^\\circ`` as sin 30)."""
    if isinstance(node, Token):
        return _token_latex(node)
    children = node.children
    if node.data == "product" and len(children) == 2:
        joiner = "+" if _is_mixed_number(*children) else "\\cdot"
        return f"{_latex(children[0])} {joiner} {_latex(children[1])}"
    if node.data == "function" and isinstance(children[-1], Token) and children[-1].type == "DEGREE":
        head = " ".join(_latex(child) for child in children[:-2])
        return f"{head} ( {_latex(children[-2])} \\cdot \\frac{{\\pi}}{{180}} )"
    return " ".join(_latex(child) for child in children)


def _token_latex(token: Token) -> str:
    if token.type == "NUMBER":
        return _THOUSANDS.sub("", token.value)
    if token.type == "REPEATING":
        value = _repeating(token)
        return f"\\frac{{{value.numerator}}}{{{value.denominator}}}"
    if token.type == "PAREN_OPEN":
        return "("
    canonical = _CANONICAL.get(token.type)
    return canonical if canonical is not None else token.value


_REPEATING = re.compile(
    r"(?P<int>\d*)\.(?P<fixed>\d*)(?:\\overline\s*\{(?P<over>\d+)\}|\\dot\s*\{?(?P<dot1>\d)\}?"
    r"(?:(?P<mid>\d*)\\dot\s*\{?(?P<dot2>\d)\}?)?)"
)


def _repeating(token: Token) -> Fraction:
    match = _REPEATING.fullmatch(token.value)
    if match is None:
        raise Unaccounted(token.start_pos, token.end_pos, "not a repeating decimal")
    if match.group("over"):
        return exact.repeating_decimal(match.group("int"), match.group("fixed"), match.group("over"))
    repetend = match.group("dot1") + (match.group("mid") or "") + (match.group("dot2") or "")
    return exact.repeating_decimal(match.group("int"), match.group("fixed"), repetend)


def _number(text: str) -> Fraction:
    return Fraction(_THOUSANDS.sub("", text))


def _places(token: Token) -> int | None:
    if token.type == "NUMBER" and "." in token.value:
        return len(token.value.rsplit(".", 1)[1])
    if token.type == "SCIENTIFIC":
        mantissa, _, power = token.value.lower().partition("e")
        return max(0, len(mantissa.partition(".")[2]) - int(power))
    return None


# Letters that name constants (Euler's number, the imaginary unit) rather than variables.
_CONSTANT_LETTERS = frozenset({"e", "i"})


class _Math:
    """What one math subtree states: its LaTeX, exact value, decimals as written, kind and elements."""

    __slots__ = ("approximate", "brackets", "exact", "items", "kind", "latex", "places", "plus_minus", "samples")

    def __init__(
        self,
        latex: str,
        kind: str = "expression",
        exact_value: Surd | None = None,
        places: int | None = None,
        items: tuple[Value, ...] = (),
        brackets: str = "",
        plus_minus: bool = False,
        approximate: bool = False,
        samples: samples_.Samples | None = None,
    ) -> None:
        self.latex, self.kind, self.exact, self.places = latex, kind, exact_value, places
        self.items, self.brackets, self.plus_minus, self.approximate = items, brackets, plus_minus, approximate
        if samples is None and exact_value is not None and exact_value.radicand == 1:
            samples = samples_.constant(exact_value.coefficient)
        self.samples = samples


class _Builder:
    def __init__(self, text: str) -> None:
        self.text = text
        self.premises: list[Value] = []

    # ---- the answer and its items
    def answer(self, tree: Tree) -> list[Value]:
        """The values of the last group of items. Earlier groups, each ended by a connective ("x = 5, so"), are
        premises: read (so they must be readable) but not part of the answer."""
        for child in tree.children:
            if isinstance(child, Tree) and child.data == "context":
                self.closed_words(child, "what the answer is about is said with the lexicon's nouns")
        groups = [child for child in tree.children if isinstance(child, Tree) and child.data == "items"]
        for premise in groups[:-1]:
            values = _no_stray_words(self.items(premise))
            bare = next((value for value in values if value.label is None and not value.equated), None)
            if bare is not None:  # "5, so 6" would be two values joined by a word
                raise Unaccounted(bare.start, bare.end, "a premise states what it is about (x = 5, so ...)")
            self.premises.extend(values)
        return _no_stray_words(self.items(groups[-1]))

    def items(self, tree: Tree) -> list[Value]:
        values: list[Value] = []
        for child in tree.children:
            if isinstance(child, Tree):
                values.extend(self.item(child))
        return values

    def item(self, node: Tree) -> list[Value]:
        kind = node.data
        if kind == "stated_chain":
            return self.chain(node)
        if kind == "statement":
            return self.statement(node)
        if kind == "lettered":
            return self.lettered(node)
        if kind == "yes_no":
            word = node.children[0].type
            said = "yes" if word in ("YES", "CHECK") else "no"
            return [Value("yes_no", said, *_bounds(node))]
        if kind == "phrase":
            return [self.word_answer(node)]
        raise Unaccounted(*_bounds(node), "not an answer")

    def statement(self, node: Tree) -> list[Value]:
        first, stated = node.children[0], node.children[-1]
        if isinstance(first, Token):  # "It is 5" is about nothing named
            label = None
        else:
            label = self.subject(first.children[0] if first.data == "subject" else first)
        values = self.chain(stated) if stated.data == "stated_chain" else [self.word_answer(stated)]
        return [_replace(_with_label(value, label), equated=True) for value in values]

    def subject(self, node: Tree | Token) -> str:
        """What a statement is about. A phrase may use only determiners, the lexicon's nouns and adjectives,
        prepositions and math labels: an open word (a verb, a hedge) in a subject is unaccounted."""
        if isinstance(node, Tree) and node.data == "phrase":
            self.closed_words(node, "a subject uses only the lexicon's nouns")
            return " ".join(token.value.lower() for token in _leaves(node))
        math = self.math(node)
        if not _is_name(node):
            raise Unaccounted(*_bounds(node), "a statement's subject is a name (x, AB, \\angle A), not a value")
        return math.latex

    def closed_words(self, node: Tree, why: str) -> None:
        for token in _leaves(node):
            if token.type == "WORD":
                raise Unaccounted(token.start_pos, token.end_pos, why)

    def chain(self, node: Tree) -> list[Value]:
        """``a = b \\approx c``: every side is a value, except the names (x, AB, f(2), (x, y)), which label
        the values: "x = 5", "5 = x", "AB = BC = 5", "x \\approx 2.24"."""
        parts = node.children
        if len(parts) == 1:
            return self.stated(parts[0])
        values: list[Value] = []
        labels: list[str] = []
        approximate_next = False
        for part in parts:
            if isinstance(part, Token):
                approximate_next = part.type == "APPROX_REL"
                continue
            stated = self.stated(part)
            if _is_name_stated(part) and len(stated) == 1:
                labels.append(stated[0].text)
                continue
            if approximate_next:
                stated = [_replace(stated[0], approximate=True), *stated[1:]]
            values.extend(stated)
        if not values:
            raise Unaccounted(*_bounds(node), "names equal to each other state no value")
        label = labels[0] if labels else None
        if labels:  # "x = 5" is written from the name on
            values[0] = _replace(values[0], start=min(values[0].start, _bounds(node)[0]))
        return [_replace(_with_label(value, label), equated=True) for value in values]

    def stated(self, node: Tree) -> list[Value]:
        """One value as stated: with "about", a unit, "(approx.)", and any restatement in parentheses."""
        approximate = False
        unit: str | None = None
        main: Value | None = None
        restated: list[Value] = []
        for child in node.children:
            if isinstance(child, Token):
                if child.type in ("APPROX", "APPROX_AFTER", "APPROX_REL", "TILDE_APPROX"):
                    approximate = True
                elif child.type == "NUMWORD":
                    main = self.number_word(child)
                elif child.type in ("EXACTLY", "PAREN_OPEN", "RPAR", "OR", "ROUNDED"):
                    pass
                else:
                    main = self.value(child)
            elif child.data == "unit":
                unit = self.unit(child)
            elif child.data == "inner_items":
                restated.extend(self.items(child))
            elif child.data == "cases":  # rows of values: each row is a value of its own
                restated.extend(self.items(child.children[1]))
            else:
                main = self.value(child)
        if main is None and restated:
            return restated
        assert main is not None
        if unit is not None and main.kind not in ("number", "expression"):
            raise Unaccounted(main.start, main.end, "a unit follows a number or an expression only")
        end = max(main.end, _bounds(node)[1])
        main = _replace(main, unit=unit or main.unit, approximate=main.approximate or approximate, end=end)
        return [main, *restated]

    def value(self, node: Tree | Token) -> Value:
        if isinstance(node, Tree) and node.data == "money":
            math = self.math(node.children[1])
            return self._math_value(math, node, unit=_currency(node.children[0].value))
        return self._math_value(self.math(node), node)

    def _math_value(self, math: _Math, node: Tree | Token, unit: str | None = None) -> Value:
        start, end = _bounds(node)
        kind = math.kind
        if kind == "expression" and math.exact is not None:
            kind = "number"
        points = math.samples if kind in ("number", "expression") else None
        return Value(
            kind,
            math.latex,
            start,
            end,
            exact=math.exact,
            places=math.places,
            unit=unit,
            approximate=math.approximate,
            plus_minus=math.plus_minus,
            items=math.items,
            brackets=math.brackets,
            samples=points,
        )

    def number_word(self, token: Token) -> Value:
        top, _, bottom = token.value.partition("/")
        value = Fraction(int(top), int(bottom)) if bottom else Fraction(int(top))
        latex = f"\\frac{{{value.numerator}}}{{{value.denominator}}}" if bottom else str(value)
        return Value("number", latex, token.start_pos, token.end_pos, exact=Surd(value))

    def lettered(self, node: Tree) -> list[Value]:
        """ "C. 6\\pi", "C: hexagon", "C)", "Option C": the letter, with its option's text if written."""
        children = node.children
        letter = next(child for child in children if isinstance(child, Token) and child.type == "CAPITAL")
        text: list[Value] = []
        for child in children:
            if isinstance(child, Tree):
                text.extend(self.chain(child) if child.data == "stated_chain" else [self.word_answer(child)])
        return [Value("letter", letter.value, *_bounds(node), option=tuple(text))]

    def word_answer(self, node: Tree) -> Value:
        words = []
        for child in node.children:
            if isinstance(child, Token):
                words.append(child.value.lower() if child.type != "CAPITAL" else child.value)
            else:
                words.append(self.math(child).latex)
        return Value("word", " ".join(words), *_bounds(node))

    # ---- units
    def unit(self, node: Tree) -> str:
        first = node.children[0]
        if isinstance(first, Token):
            if first.type in ("COUNT", "NOUN"):
                return GENERIC
            if first.type == "PERCENT":
                return "percent"
            if first.type == "DEGREE":
                return "degree"
            if first.type == "TEMPERATURE":
                fahrenheit = first.value.rstrip().lower().endswith(("f", "fahrenheit"))
                return "degree_Fahrenheit" if fahrenheit else "degree_Celsius"
        parts: list[str] = []
        for child in node.children:
            if isinstance(child, Token):
                parts.append("/")  # SLASH or PER between parts
                continue
            parts.append(self.unit_part(child))
        if len(parts) == 1 and parts[0].strip("()") in CURRENCY_WORDS.values():
            return parts[0].strip("()")
        expression = " ".join(parts)
        name = canonical_unit(expression)
        if name is None:
            raise Unaccounted(*_bounds(node), "not a unit the unit registry knows")
        return name

    def unit_part(self, node: Tree) -> str:
        square = power = None
        name = None
        for token in node.children:
            if token.type == "SQUARE":
                square = "3" if token.value.lower() in ("cubic", "立方") else "2"
            elif token.type == "UNIT":
                name = HAN_UNITS.get(token.value) or unit_name(token.value)
            elif token.type in ("NUMBER", "UNIT_POWER"):
                power = token.value
            elif token.type == "SQUARED":
                power = "2" if token.value.lower() == "squared" else "3"
        if name is None:
            raise Unaccounted(*_bounds(node), "not a unit the unit registry knows")
        power = power or square
        return f"({name}) ** {power}" if power else f"({name})"

    # ---- math
    def math(self, node: Tree | Token) -> _Math:
        if isinstance(node, Token):
            return self.atom(node)
        handler = getattr(self, f"m_{node.data}", None)
        if handler is None:
            return _Math(_latex(node))
        return handler(node)

    def atom(self, token: Token) -> _Math:
        kind = token.type
        if kind == "NUMBER":
            return _Math(_latex(token), "number", Surd(_number(token.value)), _places(token))
        if kind == "SCIENTIFIC":
            mantissa, _, power = token.value.lower().partition("e")
            scale = exact.power(Surd(Fraction(10)), Surd(Fraction(int(power))))
            value = exact.multiply(Surd(Fraction(mantissa)), scale)
            return _Math(token.value, "number", value, _places(token))
        if kind == "REPEATING":
            return _Math(_latex(token), "number", Surd(_repeating(token)))
        if kind == "CAPITAL":
            return _Math(token.value, "letter")
        if kind == "LABEL":
            return _Math(token.value, "label")
        if (kind == "VARIABLE" and token.value not in _CONSTANT_LETTERS) or kind == "GREEK":
            return _Math(_latex(token), samples=samples_.letter(token.value))
        return _Math(_latex(token))

    def m_decimal_dots(self, node: Tree) -> _Math:
        """``0.333...`` repeats (1/3): its last digits are one block written at least twice. ``3.14159...``
        is an approximate decimal."""
        number = node.children[0]
        integer, _, decimals = _THOUSANDS.sub("", number.value).partition(".")
        if not decimals:
            raise Unaccounted(*_bounds(node), "an integer that trails off")
        for size in range(1, 7):
            repetend = decimals[-size:]
            if len(decimals) >= 2 * size and decimals.endswith(repetend * 2):
                fixed = decimals[: -2 * size]
                while fixed.endswith(repetend):
                    fixed = fixed[:-size]
                value = exact.repeating_decimal(integer, fixed, repetend)
                return _Math(f"\\frac{{{value.numerator}}}{{{value.denominator}}}", "number", Surd(value))
        return _Math(_latex(number), "number", Surd(_number(number.value)), _places(number), approximate=True)

    def m_group(self, node: Tree) -> _Math:
        inner = self.math(node.children[1])
        if inner.kind == "letter" and node.children[0].type in ("LPAR", "LBRACK"):
            return _Math(inner.latex, "letter")  # (C), [C]
        return _Math(
            _latex(node),
            "number" if inner.exact is not None else "expression",
            inner.exact,
            plus_minus=inner.plus_minus,
            samples=inner.samples,
        )

    def m_sum(self, node: Tree) -> _Math:
        left, operator, right = node.children
        a, b = self.math(left), self.math(right)
        if operator.type == "CUP":  # a union of sets or intervals
            return _Math(_latex(node), "set")
        plus_minus = a.plus_minus or b.plus_minus or operator.type == "PM"
        value = points = None
        if operator.type in ("PLUS", "MINUS"):
            sign = 1 if operator.type == "PLUS" else -1
            value, points = exact.add(a.exact, b.exact, sign), samples_.add(a.samples, b.samples, sign)
        return _Math(_latex(node), exact_value=value, plus_minus=plus_minus, samples=points)

    def m_product(self, node: Tree) -> _Math:
        if len(node.children) == 2:  # implicit: 2\sqrt{3}, 2x
            left, right = node.children
            a, b = self.math(left), self.math(right)
            if "letter" in (a.kind, b.kind):  # "(A) (C)": letters side by side are no product
                raise Unaccounted(*_bounds(node), "option letters side by side")
            if _is_mixed_number(left, right):  # 3\frac{1}{2} is three and a half
                return _Math(_latex(node), exact_value=exact.add(a.exact, b.exact))
            # f(x) may be a function applied, not a product: left to computer algebra
            applied = isinstance(left, Token) and isinstance(right, Tree) and right.data == "group"
            points = None if applied else samples_.multiply(a.samples, b.samples)
            return _Math(
                _latex(node),
                exact_value=exact.multiply(a.exact, b.exact),
                plus_minus=a.plus_minus or b.plus_minus,
                samples=points,
            )
        left, operator, right = node.children
        a, b = self.math(left), self.math(right)
        times = operator.type in ("TIMES", "STAR")
        combine = exact.multiply if times else exact.divide
        points = (samples_.multiply if times else samples_.divide)(a.samples, b.samples)
        places = _scientific_places(left, operator, right, a)
        return _Math(
            _latex(node),
            exact_value=combine(a.exact, b.exact),
            places=places,
            plus_minus=a.plus_minus or b.plus_minus,
            samples=points,
        )

    def m_signed(self, node: Tree) -> _Math:
        operator, operand = node.children
        inner = self.math(operand)
        if operator.type == "PM":
            return _Math(_latex(node), plus_minus=True)
        minus = operator.type == "MINUS"
        value = exact.negate(inner.exact) if minus else inner.exact
        kind = "number" if value is not None else "expression"
        points = samples_.negate(inner.samples) if minus else inner.samples
        return _Math(_latex(node), kind, value, inner.places, plus_minus=inner.plus_minus, samples=points)

    def m_power(self, node: Tree) -> _Math:
        base, _, exponent = node.children
        a, b = self.math(base), self.math(exponent)
        return _Math(
            _latex(node),
            exact_value=exact.power(a.exact, b.exact),
            plus_minus=a.plus_minus or b.plus_minus,
            samples=samples_.power(a.samples, b.samples),
        )

    def m_postfix(self, node: Tree) -> _Math:
        """``n!``; a subscript or a prime only on a name (``x_1``, ``f'``): ``5_6`` is no value math-verify reads
        whole (it reads 5)."""
        inner, operator = node.children[0], node.children[1]
        if operator.type in ("SUB", "PRIME") and not _is_name(inner):
            raise Unaccounted(operator.start_pos, _bounds(node)[1], "a subscript or a prime belongs to a name")
        value = exact.factorial(self.math(inner).exact) if operator.type == "BANG" else None
        return _Math(_latex(node), exact_value=value)

    def m_root(self, node: Tree) -> _Math:
        children = node.children
        index = None
        if len(children) > 2 and isinstance(children[1], Token) and children[1].type == "LBRACK":
            index = self.math(children[2]).exact
            children = [children[0], *children[4:]]
        radicand = children[2] if len(children) > 2 else children[1]
        value = self.math(radicand).exact
        if index is not None and index != Surd(Fraction(2)):
            return _Math(_latex(node))
        return _Math(_latex(node), exact_value=exact.square_root(value))

    def m_fraction(self, node: Tree) -> _Math:
        children = node.children
        if len(children) == 2:  # \frac12
            digits = children[1].value
            if len(digits) != 2:
                raise Unaccounted(*_bounds(node), "\\frac needs two arguments")
            value = Surd(Fraction(int(digits[0]), int(digits[1]))) if digits[1] != "0" else None
            return _Math(f"\\frac{{{digits[0]}}}{{{digits[1]}}}", exact_value=value)
        top, bottom = self.math(children[2]), self.math(children[5])
        return _Math(
            _latex(node),
            exact_value=exact.divide(top.exact, bottom.exact),
            plus_minus=top.plus_minus or bottom.plus_minus,
            samples=samples_.divide(top.samples, bottom.samples),
        )

    def m_binomial(self, node: Tree) -> _Math:
        top, bottom = self.math(node.children[2]), self.math(node.children[5])
        return _Math(_latex(node), exact_value=exact.binomial(top.exact, bottom.exact))

    def m_tuple(self, node: Tree) -> _Math:
        opening, closing = node.children[0].value, node.children[-1].value
        elements = tuple(self._math_value(self.math(child), child) for child in _elements(node))
        return _Math(_latex(node), "tuple", items=elements, brackets=opening + closing)

    def m_set(self, node: Tree) -> _Math:
        elements = tuple(self._math_value(self.math(child), child) for child in _elements(node))
        return _Math(_latex(node), "set", items=elements)

    def m_relation(self, node: Tree) -> _Math:
        operators = [child for child in node.children if isinstance(child, Token) and child.type in ("REL", "RATIO")]
        if operators and all(operator.type == "RATIO" for operator in operators) and len(operators) == 1:
            a, b = self.math(node.children[0]), self.math(node.children[2])
            items = (self._math_value(a, node.children[0]), self._math_value(b, node.children[2]))
            return _Math(_latex(node), "ratio", exact.divide(a.exact, b.exact), items=items)
        return _Math(_latex(node), "relation")

    def m_absolute(self, node: Tree) -> _Math:
        inner = self.math(node.children[1])
        value = inner.exact
        if value is not None and value.coefficient < 0:
            value = exact.negate(value)
        return _Math(_latex(node), exact_value=value)

    def m_application(self, node: Tree) -> _Math:
        """``A(1, 2)`` is the point A at (1, 2): a tuple; ``f(2)``, ``P(A)`` an expression."""
        arguments = [child for child in node.children[2:-1] if not (isinstance(child, Token) and child.type == "COMMA")]
        if len(arguments) > 1 and node.children[0].type == "CAPITAL":
            items = tuple(self._math_value(self.math(child), child) for child in arguments)
            latex = "(" + " , ".join(item.text for item in items) + ")"
            return _Math(latex, "tuple", items=items, brackets="()")
        return _Math(_latex(node))

    def m_cases(self, node: Tree) -> _Math:
        raise Unaccounted(*_bounds(node), "rows of values inside a value")


def _no_stray_words(values: list[Value]) -> list[Value]:
    """Words are an answer only on their own: words beside a value ("5 apples", "5 ish", "5, since ...",
    "maybe 5") are not part of the answer's language."""
    words = [value for value in values if value.kind == "word"]
    if words and len(words) < len(values):
        raise Unaccounted(words[0].start, words[0].end, "words beside a value are not part of the answer")
    return values


_PUNCTUATION = frozenset({"LPAR", "RPAR", "LBRACK", "RBRACK", "LSET", "RSET", "COMMA"})


def _elements(node: Tree) -> list[Tree | Token]:
    """The elements of a tuple, a set or an application, without brackets, commas and an application's name."""
    children = node.children[1:] if node.data == "application" else node.children
    return [child for child in children if isinstance(child, Tree) or child.type not in _PUNCTUATION]


def _is_mixed_number(left: Tree | Token, right: Tree | Token) -> bool:
    """``3\\frac{1}{2}``: a whole number right before a proper fraction of whole numbers."""
    if not (isinstance(left, Token) and left.type == "NUMBER" and left.value.isdigit()):
        return False
    if not (isinstance(right, Tree) and right.data == "fraction"):
        return False
    digits = [token.value for token in _leaves(right) if token.type == "NUMBER"]
    if len(digits) != 2 or not all(digit.isdigit() for digit in digits):
        return False
    return 0 < int(digits[0]) < int(digits[1])


def _scientific_places(left: Tree | Token, operator: Token, right: Tree | Token, mantissa: _Math) -> int | None:
    """``1.4 \\times 10^{-7}``: a decimal as written, with 8 decimals."""
    if operator.type not in ("TIMES", "STAR") or not (isinstance(left, Token) and left.type == "NUMBER"):
        return None
    if not (isinstance(right, Tree) and right.data == "power"):
        return None
    base, exponent = right.children[0], right.children[2]
    power = _latex(exponent).replace(" ", "").strip("{}")
    if not (isinstance(base, Token) and base.value == "10") or not re.fullmatch(r"[-+]?\d+", power):
        return None
    return max(0, len(left.value.partition(".")[2]) - int(power))


def _is_name(node: Tree | Token) -> bool:
    """x, x_1, x', AB, \\angle ABC, m\\angle A, f(2), \\overline{AB}, S_{\\triangle ABC}, |AB|, (x, y): what a
    value can be of."""
    if isinstance(node, Token):
        return node.type in ("VARIABLE", "CAPITAL", "LABEL", "GREEK")
    if node.data in ("angle", "accented"):
        return True
    if node.data in ("absolute", "group"):
        return _is_name(node.children[1])
    if node.data == "tuple":
        return all(_is_name(child) for child in _elements(node))
    if node.data == "application":
        return all(_is_name(child) or getattr(child, "type", None) == "NUMBER" for child in _elements(node))
    if node.data == "postfix":
        return _is_name(node.children[0])
    if node.data == "product" and len(node.children) == 2:  # m\angle A, f(2), P(A)
        left, right = node.children
        return (
            isinstance(left, Token)
            and left.type in ("VARIABLE", "CAPITAL")
            and (_is_name(right) or (isinstance(right, Tree) and right.data == "group"))
        )
    if node.data == "function":
        return False
    return False


def _is_name_stated(node: Tree) -> bool:
    children = [child for child in node.children if not (isinstance(child, Token) and child.type == "EXACTLY")]
    return len(children) == 1 and _is_name(children[0])


def _with_label(value: Value, label: str | None) -> Value:
    return value if label is None or value.label is not None else _replace(value, label=label)


def _replace(value: Value, **changes: object) -> Value:
    from dataclasses import replace

    return replace(value, **changes)


def _currency(sign: str) -> str:
    return {"$": "dollar", "\\$": "dollar", "¥": "yuan", "€": "euro", "£": "pound_sterling"}.get(sign, "dollar")


@functools.lru_cache(maxsize=1 << 13)
def plain_answer(text: str) -> str:
    """An answer without what surrounds its values: for a complete reading, the text from its first value to
    its last (``The answer is $\\boxed{12}$ cm.`` -> ``12 cm``); otherwise the text with its paired wrappers
    (``$..$``, ``\\boxed{..}``, ``**..**``, ``\\text{..}``) removed. Wrappers inside the kept text are removed
    too. For showing an answer and for the benchmarks' own string rules; judging uses the reading itself."""
    reading = read_answer(text)
    normalized = reading.text
    if reading.complete:
        start, end = reading.values[0].start, reading.values[-1].end
    else:
        start, end = 0, len(normalized)
    try:
        tokens = list(parser().lex(normalized))
    except UnexpectedInput:
        return normalized[start:end].strip()
    wrappers = dropped_tokens()
    pieces: list[str] = []
    position = start
    for token in sorted(wrappers, key=lambda token: token.start_pos):
        if token.end_pos <= start or token.start_pos >= end:
            continue
        pieces.append(normalized[position : max(position, token.start_pos)])
        position = max(position, token.end_pos)
    pieces.append(normalized[position:end])
    del tokens
    return " ".join("".join(pieces).split())
