"""The post-lexer: between the lexer and the grammar.

1. Wrappers are paired and dropped: ``$..$``, ``$$..$$``, ``\\(..\\)``, ``\\[..\\]``, ``**..**``, ``*..*``,
   ``_.._``, backticks, quotes, and ``\\boxed{..}``, ``\\text{..}`` and the other commands that only change how
   their argument looks. A wrapper that does not pair stays, and the grammar rejects it. An unpaired ``$``
   right before a number is a dollar sign.
2. Words get their class from the lexicon, fixed phrases first ("the final answer is" is one LEAD_IS token);
   Chinese is segmented longest-first; number words become one NUMWORD token with their value.
3. Context decides what the lexicon cannot: a unit word is a UNIT only right after a value ("5 in" is inches,
   "in the figure" is not); "A" before a word is an article; a parenthesis after a space and a value opens a
   restatement ("5 (five)"); a quote right after a letter is a prime.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator

from lark import Token

from vision_r1_plugins.answers import lexicon
from vision_r1_plugins.answers.units import unit_name

# Tokens after which a unit, an "approximately" or a restatement may follow.
_VALUE_END = frozenset(
    {
        "NUMBER",
        "SCIENTIFIC",
        "REPEATING",
        "RBRACE",
        "RPAR",
        "RBRACK",
        "RSET",
        "CONST",
        "NUMWORD",
        "ELLIPSIS",
        "DEGREE",
        "PERCENT",
        "UNIT",
        "UNIT_POWER",
        "SQUARED",
        "COUNT",
        "VARIABLE",
        "CAPITAL",
        "LABEL",
        "GREEK",
        "PRIME",
        "BANG",
    }
)
# Tokens after which a unit may follow.
_UNIT_AFTER = frozenset({"NUMBER", "SCIENTIFIC", "REPEATING", "RBRACE", "RPAR", "CONST", "NUMWORD", "ELLIPSIS"})
_TOGGLES = frozenset({"DOLLARS", "DOLLAR", "BOLD", "BACKTICKS", "QUOTE"})
_WORDISH = frozenset({"WORD", "NOUN", "ADJ", "SQUARE"})
_WORD_LIKE = frozenset({"CAPITAL", "WORD", "YES", "NO", "LABEL", "NOUN", "ADJ"})
_LETTERISH = frozenset({"RBRACE", "RPAR", "RBRACK", "PRIME", "CAPITAL", "VARIABLE", "LABEL", "GREEK", "WORD"})


class _Local(threading.local):
    dropped: list[Token]


_local = _Local()


def dropped_tokens() -> list[Token]:
    """The wrapper and typesetting tokens the last :meth:`PostLexer.process` in this thread dropped."""
    return getattr(_local, "dropped", [])


def _gap(left: Token | None, right: Token | None) -> bool:
    """Whether whitespace (or nothing at all: the start or end) separates two tokens."""
    return left is None or right is None or left.end_pos != right.start_pos


def _retype(token: Token, kind: str, value: str | None = None) -> Token:
    return Token.new_borrow_pos(kind, token.value if value is None else value, token)


def _span(first: Token, last: Token, kind: str, value: str) -> Token:
    return Token(kind, value, first.start_pos, first.line, first.column, last.end_line, last.end_column, last.end_pos)


class PostLexer:
    """Lark's post-lexer hook (``Lark(..., postlex=PostLexer())``)."""

    # Terminals no rule uses: the lexer must still produce them, for the post-lexer to pair or classify (or for
    # the parser to reject with a name).
    always_accept: tuple[str, ...] = (
        "DOLLARS",
        "DOLLAR",
        "MATH_OPEN",
        "MATH_CLOSE",
        "BOLD",
        "STAR",
        "BACKTICKS",
        "QUOTE",
        "SQUOTE",
        "STRIKE",
        "WRAP_COMMAND",
        "NOOP",
        "COMMAND",
        "HAN",
        "WORD",
        "ABBREVIATION",
        "FONT_SWITCH",
        "HASHES",
        "BAR",
    )

    def process(self, stream: Iterator[Token]) -> Iterator[Token]:
        tokens = list(stream)
        kept, dropped = pair_wrappers(tokens)
        _local.dropped = dropped
        yield from classify(kept)


# ------------------------------------------------------------------------------------------------- wrappers
def pair_wrappers(tokens: list[Token]) -> tuple[list[Token], list[Token]]:
    """(the tokens the grammar sees, the wrapper and typesetting tokens dropped)."""
    drop: set[int] = set()
    stack: list[tuple[str, int]] = []  # (kind, index) of open wrappers and braces
    rows = 0  # depth of aligned/cases environments
    for index, token in enumerate(tokens):
        kind = token.type
        previous = tokens[index - 1] if index else None
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        if kind == "NOOP" or (kind == "HASHES" and index == 0):
            drop.add(index)
        elif kind == "LBRACE" and following is not None and following.type == "FONT_SWITCH":
            stack.append(("WRAP_COMMAND", index))  # {\rm cm}: the group and its switch are wrapping
            drop.add(index + 1)
        elif kind in ("LBRACE", "WRAP_COMMAND"):
            stack.append((kind, index))
        elif kind == "RBRACE":
            opener = _pop_until_brace(stack)
            if opener is not None and opener[0] == "WRAP_COMMAND":
                drop.update((opener[1], index))
        elif kind == "MATH_OPEN":
            stack.append((token.value, index))
        elif kind == "MATH_CLOSE":
            wanted = "\\(" if token.value == "\\)" else "\\["
            if stack and stack[-1][0] == wanted:
                drop.update((stack.pop()[1], index))
        elif kind in _TOGGLES:
            key = f"{kind}{token.value}" if kind != "QUOTE" else kind
            if stack and stack[-1][0] == key:
                drop.update((stack.pop()[1], index))
            else:
                stack.append((key, index))
        elif kind in ("STAR", "SUB", "SQUOTE"):
            _pair_emphasis(tokens, index, previous, following, stack, drop)
        elif kind == "BEGIN_ROWS":
            rows += 1
        elif kind == "END_ROWS":
            rows -= 1
        elif kind == "AMP" and rows > 0:
            drop.add(index)  # an alignment point in aligned/cases rows
    for kind, index in stack:  # an unpaired "$" right before a number is a dollar sign
        token = tokens[index]
        if kind == "DOLLAR$" and index + 1 < len(tokens) and tokens[index + 1].type == "NUMBER":
            tokens[index] = _retype(token, "CURRENCY")
    kept = [token for index, token in enumerate(tokens) if index not in drop]
    dropped = [token for index, token in enumerate(tokens) if index in drop]
    return _pair_bars(kept), dropped


def _pair_bars(tokens: list[Token]) -> list[Token]:
    """``|x|``: a bar with its content attached on the inside opens, the next such bar closes (an absolute
    value); any other bar separates values ("5 | 6")."""
    bars = [index for index, token in enumerate(tokens) if token.type == "BAR"]
    opened: int | None = None
    for index in bars:
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        previous = tokens[index - 1] if index else None
        if opened is None:
            if following is not None and not _gap(tokens[index], following):
                opened = index
        elif previous is not None and not _gap(previous, tokens[index]):
            tokens[opened] = _retype(tokens[opened], "ABS_OPEN")
            tokens[index] = _retype(tokens[index], "ABS_CLOSE")
            opened = None
    return tokens


def _pop_until_brace(stack: list[tuple[str, int]]) -> tuple[str, int] | None:
    """The innermost open brace (plain or a wrapper command's); wrappers opened inside it stay unpaired."""
    for position in range(len(stack) - 1, -1, -1):
        if stack[position][0] in ("LBRACE", "WRAP_COMMAND"):
            opener = stack[position]
            del stack[position:]
            return opener
    return None


def _pair_emphasis(
    tokens: list[Token],
    index: int,
    previous: Token | None,
    following: Token | None,
    stack: list[tuple[str, int]],
    drop: set[int],
) -> None:
    """``*`` (italics or a product), ``_`` (italics or a subscript), ``'`` (a quote or a prime)."""
    token = tokens[index]
    kind = token.type
    attached_left = previous is not None and not _gap(previous, token)
    attached_right = following is not None and not _gap(token, following)
    key = f"EMPHASIS{token.value}" if kind != "SQUOTE" else "SQUOTE"
    if kind == "SQUOTE" and attached_left and previous.type in _LETTERISH and not (stack and stack[-1][0] == key):
        tokens[index] = _retype(token, "PRIME")
        return
    if kind == "SUB" and attached_left and previous.type in _LETTERISH:
        return  # x_1: a subscript
    can_close = attached_left and not attached_right
    can_open = attached_right and not attached_left
    if can_close and stack and stack[-1][0] == key:
        drop.update((stack.pop()[1], index))
    elif can_open:
        stack.append((key, index))
    elif kind == "STAR":
        tokens[index] = _retype(token, "TIMES")


# ------------------------------------------------------------------------------------------------- words
def classify(tokens: list[Token]) -> list[Token]:
    """Words and Chinese to their lexicon classes, then the context rules."""
    out: list[Token] = []
    index = 0
    while index < len(tokens):
        token = tokens[index]
        if token.type == "WORD" and _letters_of_a_product(token, out):
            out.extend(_piece(token, offset, offset + 1, "VARIABLE", char) for offset, char in enumerate(token.value))
            index += 1
            continue
        if token.type == "WORD" or token.type == "ABBREVIATION":
            fused, index = _fuse_words(tokens, index, out)
            out.extend(fused)
            continue
        if token.type == "HAN":
            out.extend(_segment_han(token))
        elif token.type == "COLON" and index + 1 < len(tokens) and tokens[index + 1].type == "EQUAL":
            pass  # ":=" is "="
        else:
            out.append(token)
        index += 1
    return _in_context(out)


def _letters_of_a_product(token: Token, out: list[Token]) -> bool:
    """``\\frac{1}{2}ab``, ``2xy``, ``\\frac{ab}{2}``: two lower-case letters written against a value or inside a
    group are variables (a unit symbol such as ``cm`` stays a unit)."""
    word = token.value
    if not (len(word) == 2 and word.isascii() and word.isalpha() and word.islower()):
        return False
    if word in lexicon.WORDS or unit_name(word) is not None:
        return False
    previous = out[-1] if out else None
    attached = ("NUMBER", "RBRACE", "RPAR", "VARIABLE", "GREEK", "CONST", "LBRACE", "LPAR")
    return previous is not None and not _gap(previous, token) and previous.type in attached


def _word_run(tokens: list[Token], start: int) -> int:
    """End of the run of words from ``start`` (a number inside the run belongs to it: "rounded to 2 decimal
    places"; the run does not end in one)."""
    end = start
    while end < len(tokens) and tokens[end].type in ("WORD", "ABBREVIATION", "NUMBER"):
        end += 1
    while end > start + 1 and tokens[end - 1].type == "NUMBER":
        end -= 1
    return end


def _fuse_words(tokens: list[Token], start: int, out: list[Token]) -> tuple[list[Token], int]:
    """The longest fixed phrase (or number-word sequence) at ``start``, else the single word's class."""
    end = _word_run(tokens, start)
    words = [token.value.lower().replace("’", "'") for token in tokens[start:end]]
    previous = out[-1].type if out else None
    if previous in ("YES", "NO") or (previous == "COMMA" and len(out) > 1 and out[-2].type in ("YES", "NO")):
        for size in range(min(4, len(words)), 1, -1):
            kind = lexicon.CONFIRM_PHRASES.get(" ".join(words[:size]))
            if kind:
                if previous == "COMMA":
                    out.pop()  # "Yes, it is": the comma belongs to the confirmation
                return [_span(tokens[start], tokens[start + size - 1], kind, " ".join(words[:size]))], start + size
    for size in range(min(lexicon.MAX_PHRASE_WORDS, len(words)), 1, -1):
        kind = lexicon.PHRASES.get(" ".join(words[:size]))
        if kind:
            return [_span(tokens[start], tokens[start + size - 1], kind, " ".join(words[:size]))], start + size
    number = _number_words(words)
    if number is not None:
        size, value = number
        return [_span(tokens[start], tokens[start + size - 1], "NUMWORD", value)], start + size
    token = tokens[start]
    return [_word_class(token, words[0])], start + 1


def _word_class(token: Token, lowered: str) -> Token:
    word = token.value
    if len(word) == 1:
        return _retype(token, "CAPITAL" if word.isupper() else "VARIABLE")
    if token.type == "LETTERS":
        return token
    kind = lexicon.WORDS.get(lowered)
    if kind is None and lowered in lexicon.APPROX:
        kind = "APPROX"
    if kind is not None:
        return _retype(token, kind)
    if word.isupper() and word.isalpha() and len(word) <= 4:
        return _retype(token, "LABEL")  # AB, ABC: points, segments, angles
    return _retype(token, "WORD")


def _number_words(words: list[str]) -> tuple[int, str] | None:
    """(how many words, the value as text) of the number words at the start ("twenty-one", "one hundred and
    five", "two thousand", "two thirds", "half"); None when the first word is no number word."""
    value, used = _thousands(words, 0)
    if used == 0:
        return (1, "1/2") if words[0] == "half" else None
    if used < len(words) and words[used] in lexicon.FRACTION_WORDS:  # "two thirds", "one half"
        denominator = lexicon.FRACTION_WORDS[words[used]]
        plural = words[used].endswith("s") or words[used] == "halves"
        if value >= 1 and (value == 1) != plural:
            return used + 1, f"{value}/{denominator}"
    return used, str(value)


def _below_hundred(words: list[str], start: int) -> tuple[int, int]:
    """(value, end) of "seven", "seventeen", "seventy", "seventy-seven" or "seventy seven" at ``start``."""
    if start >= len(words):
        return 0, start
    parts = words[start].split("-")
    if len(parts) == 2 and parts[0] in lexicon.TENS_WORDS and parts[1] in lexicon.UNITS_WORDS:
        if 0 < lexicon.UNITS_WORDS[parts[1]] < 10:
            return lexicon.TENS_WORDS[parts[0]] + lexicon.UNITS_WORDS[parts[1]], start + 1
        return 0, start
    if len(parts) != 1:
        return 0, start
    word = parts[0]
    if word in lexicon.UNITS_WORDS:
        return lexicon.UNITS_WORDS[word], start + 1
    if word in lexicon.TENS_WORDS:
        following = words[start + 1] if start + 1 < len(words) else ""
        if 0 < lexicon.UNITS_WORDS.get(following, 0) < 10:
            return lexicon.TENS_WORDS[word] + lexicon.UNITS_WORDS[following], start + 2
        return lexicon.TENS_WORDS[word], start + 1
    return 0, start


def _hundreds(words: list[str], start: int) -> tuple[int, int]:
    value, end = _below_hundred(words, start)
    if end > start and end < len(words) and words[end] == "hundred":
        value, end = value * 100, end + 1
        rest_start = end + 1 if end < len(words) and words[end] == "and" else end
        rest, rest_end = _below_hundred(words, rest_start)
        if rest_end > rest_start:
            value, end = value + rest, rest_end
    return value, end


def _thousands(words: list[str], start: int) -> tuple[int, int]:
    value, end = _hundreds(words, start)
    for scale in ("thousand", "million"):
        if end > start and end < len(words) and words[end] == scale:
            value, end = value * lexicon.SCALE_WORDS[scale], end + 1
            rest_start = end + 1 if end < len(words) and words[end] == "and" else end
            rest, rest_end = _hundreds(words, rest_start)
            if rest_end > rest_start:
                value, end = value + rest, rest_end
    return value, end


def _segment_han(token: Token) -> list[Token]:
    """Longest-first segmentation of a run of Chinese by the lexicon; numerals become NUMWORD tokens; a
    character no entry covers stays HAN (which the grammar never accepts)."""
    text = token.value
    out: list[Token] = []
    position = 0
    longest = max(map(len, (*lexicon.HAN, *lexicon.HAN_UNITS)))
    while position < len(text):
        numeral = _han_numeral(text, position)
        if numeral is not None:
            end, value = numeral
            out.append(_piece(token, position, end, "NUMWORD", value))
            position = end
            continue
        for size in range(min(longest, len(text) - position), 0, -1):
            piece = text[position : position + size]
            kind = lexicon.HAN.get(piece) or ("UNIT" if piece in lexicon.HAN_UNITS else None)
            if kind:
                out.append(_piece(token, position, position + size, kind, piece))
                position += size
                break
        else:  # a word the lexicon does not have: the run up to the next known entry is one open WORD
            end = position + 1
            while end < len(text) and not _han_known_at(text, end, longest):
                end += 1
            out.append(_piece(token, position, end, "WORD", text[position:end]))
            position = end
    return _merge_open_words(out)


def _merge_open_words(pieces: list[Token]) -> list[Token]:
    """A word the lexicon does not have absorbs the nouns and numerals written against it: 三角形 is one word,
    not 3, 角 and 形."""
    out: list[Token] = []
    index = 0
    while index < len(pieces):
        end = index
        while end < len(pieces) and pieces[end].type in ("WORD", "NOUN", "NUMWORD", "ADJ"):
            end += 1
        run = pieces[index:end]
        if len(run) > 1 and any(piece.type == "WORD" for piece in run):
            value = "".join(piece.value for piece in run)
            out.append(
                Token(
                    "WORD",
                    value,
                    run[0].start_pos,
                    run[0].line,
                    run[0].column,
                    run[-1].end_line,
                    run[-1].end_column,
                    run[-1].end_pos,
                )
            )
            index = end
        elif run:
            out.extend(run)
            index = end
        else:
            out.append(pieces[index])
            index += 1
    return out


def _han_known_at(text: str, position: int, longest: int) -> bool:
    if _han_numeral(text, position) is not None:
        return True
    return any(
        text[position : position + size] in lexicon.HAN or text[position : position + size] in lexicon.HAN_UNITS
        for size in range(1, longest + 1)
    )


def _piece(token: Token, start: int, end: int, kind: str, value: str) -> Token:
    return Token(
        kind,
        value,
        token.start_pos + start,
        token.line,
        token.column + start,
        token.end_line,
        token.column + end,
        token.start_pos + end,
    )


def _han_numeral(text: str, position: int) -> tuple[int, str] | None:
    """(end, value) of a Chinese numeral at ``position``: 五, 十二, 二十五, 一百零五, 三千."""
    end = position
    while end < len(text) and (text[end] in lexicon.HAN_DIGITS or text[end] in lexicon.HAN_SCALES):
        end += 1
    if end == position:
        return None
    total = section = digit = 0
    for char in text[position:end]:
        if char in lexicon.HAN_DIGITS:
            digit = lexicon.HAN_DIGITS[char]
        else:
            scale = lexicon.HAN_SCALES[char]
            if scale == 10_000:
                total += (section + digit) * scale
                section = digit = 0
            else:
                section += (digit or 1) * scale
                digit = 0
    return end, str(total + section + digit)


# ------------------------------------------------------------------------------------------------- context
def _in_context(tokens: list[Token]) -> list[Token]:
    out: list[Token] = []
    for index, token in enumerate(tokens):
        following = tokens[index + 1] if index + 1 < len(tokens) else None
        out.append(_contextual(token, out, following, tokens))
    return out


def _contextual(token: Token, out: list[Token], following: Token | None, tokens: list[Token]) -> Token:
    """The token's class in its context: the first rule of :data:`_RULES` that gives one, else its own."""
    previous = out[-1] if out else None
    for rule in _RULES:
        kind = rule(token, previous, following, out, tokens)
        if kind is not None:
            return _retype(token, kind)
    return token


def _unit(
    token: Token, previous: Token | None, following: Token | None, out: list[Token], tokens: list[Token]
) -> str | None:
    """A unit word right after a value: "5 in" is inches, "in the figure" is not."""
    candidates = ("WORD", "NOUN", "ADJ", "PREP", "VARIABLE", "LABEL", "CAPITAL")
    if token.type in candidates and _unit_position(out) and unit_name(token.value) is not None:
        return "UNIT"
    return None


def _unit_power(
    token: Token, previous: Token | None, following: Token | None, out: list[Token], tokens: list[Token]
) -> str | None:
    """cm2, m3."""
    attached = token.type == "NUMBER" and previous is not None and previous.type == "UNIT" and not _gap(previous, token)
    return "UNIT_POWER" if attached and token.value in ("2", "3") else None


def _approx_after(
    token: Token, previous: Token | None, following: Token | None, out: list[Token], tokens: list[Token]
) -> str | None:
    """ "5 approximately", "5 (approx.)": after its value, not before one."""
    if token.type not in ("APPROX", "APPROX_AFTER"):
        return None
    if following is not None and following.type == "RPAR":
        return "APPROX_AFTER"
    after_value = previous is not None and previous.type in _VALUE_END
    before_value = following is not None and following.type in ("NUMBER", "SCIENTIFIC", "FRAC", "SQRT", "MINUS")
    return "APPROX_AFTER" if after_value and not before_value else None


def _article(
    token: Token, previous: Token | None, following: Token | None, out: list[Token], tokens: list[Token]
) -> str | None:
    """ "A right triangle", "a square": the article; "I think": a word."""
    if following is None or following.type not in _WORDISH:
        return None
    if token.type == "CAPITAL" and token.value in ("A", "I"):
        return "DET" if token.value == "A" else "WORD"
    return "DET" if token.type == "VARIABLE" and token.value == "a" else None


def _restatement(
    token: Token, previous: Token | None, following: Token | None, out: list[Token], tokens: list[Token]
) -> str | None:
    """ "5 (five)": a parenthesis after a space and a value; "(A) (C)" is two groups."""
    if token.type != "LPAR" or previous is None or not _gap(previous, token):
        return None
    return "PAREN_OPEN" if previous.type in _VALUE_END and previous.type not in ("RPAR", "RBRACK") else None


def _square(
    token: Token, previous: Token | None, following: Token | None, out: list[Token], tokens: list[Token]
) -> str | None:
    """ "square" after a value makes a unit square ("5 square feet"); elsewhere it is the noun ("a square")."""
    if token.type != "SQUARE" or (previous is not None and previous.type in _UNIT_AFTER):
        return None
    return "NOUN" if token.value.lower() == "square" else "ADJ"


def _slash_or(
    token: Token, previous: Token | None, following: Token | None, out: list[Token], tokens: list[Token]
) -> str | None:
    """ "A/C", "yes/no": one or the other (between numbers a slash divides)."""
    if token.type != "SLASH" or previous is None or following is None:
        return None
    both = previous.type in _WORD_LIKE and (following.type in _WORD_LIKE or following.type in ("YES", "NO"))
    return "OR" if both else None


def _ratio(
    token: Token, previous: Token | None, following: Token | None, out: list[Token], tokens: list[Token]
) -> str | None:
    """3:4."""
    if token.type != "COLON" or previous is None or following is None:
        return None
    numbers = previous.type == "NUMBER" and following.type == "NUMBER"
    return "RATIO" if numbers and not (_gap(previous, token) and not _gap(token, following)) else None


def _alone_yes_no(
    token: Token, previous: Token | None, following: Token | None, out: list[Token], tokens: list[Token]
) -> str | None:
    """是, 对, 正确 alone answer yes; elsewhere they are a copula or a closing."""
    if token.type in ("COPULA", "TRAILER", "YES", "NO") and token.value in lexicon.HAN_ALONE and _alone(token, tokens):
        return lexicon.HAN_ALONE[token.value]
    return None


_RULES = (_unit, _unit_power, _approx_after, _article, _restatement, _square, _slash_or, _ratio, _alone_yes_no)


def _unit_position(out: list[Token]) -> bool:
    """Whether a unit may come next: right after a value ("5 cm"), after "square" that follows a value
    ("5 square feet"), or after "/" or "per" that follows a unit ("km/h", "meters per second")."""
    previous = out[-1] if out else None
    before = out[-2] if len(out) > 1 else None
    if previous is None:
        return False
    if previous.type in _UNIT_AFTER:
        return True
    if previous.type == "SQUARE":
        return before is not None and before.type in _UNIT_AFTER
    if previous.type in ("SLASH", "PER"):
        return before is not None and before.type in ("UNIT", "UNIT_POWER", "SQUARED")
    return False


def _alone(token: Token, tokens: list[Token]) -> bool:
    """Whether ``token`` is the whole answer but for punctuation."""
    return all(other is token or other.type in ("PERIOD", "BANG", "COMMA") for other in tokens)
