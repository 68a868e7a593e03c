"""Rule-based filters for modality-bridged chain-of-thought samples, and the statistics we keep about them.

A text-only reasoner (DeepSeek-R1) reasons over a description of the image; its reasoning becomes the
``<think>`` part of an SFT response. These rules reject samples that would teach the wrong habits (too
short or runaway reasoning, refusals, language mixing, loops); the answer itself is judged elsewhere by the
reward. Each rejection carries a machine-readable ``reason`` so the pipeline can count why samples go.

Reasoning texts run to 60K+ characters, so every check is one linear pass: ``Counter`` over characters or
n-gram tuples, and regexes made of literal words whose only quantifiers are possessive or cannot overlap.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

REASONS = ("ok", "too_short", "too_long", "language_mixing", "repetition", "refusal")

# Texts shorter than this are checked for every refusal phrase; longer ones (reasoning, or an answer text that is
# a written-out solution) legitimately say "we cannot have x < 0" or "cannot be determined from (1) alone".
SHORT_TEXT_CHARS = 300

# Latin is always allowed: variables, LaTeX commands and units are Latin even in a Chinese or Russian solution.
ALWAYS_ALLOWED_SCRIPTS = frozenset({"latin"})


@dataclass(frozen=True)
class FilterConfig:
    """The quality rules a bridged sample's reasoning must pass (besides a right answer in the right format).

    >>> FilterConfig(min_reasoning_chars=400).max_reasoning_chars
    60000
    """

    min_reasoning_chars: int = 200
    max_reasoning_chars: int = 60_000
    max_foreign_script_ratio: float = 0.01  # language mixing: share of letters in a script absent from the question
    repeat_ngram: int = 12  # repetition: word n-gram size
    max_ngram_repeats: int = 6  # an n-gram occurring more than this many times = a loop
    max_duplicate_ngram_ratio: float = 0.3  # share of n-grams that are repeats
    max_repeated_line_run: int = 4  # the same non-empty line repeated consecutively more than this = a loop


@dataclass(frozen=True)
class FilterResult:
    ok: bool
    reason: str  # one of REASONS
    detail: str  # short human-readable why; empty when ok


OK = FilterResult(True, "ok", "")


def _fail(reason: str, detail: str) -> FilterResult:
    return FilterResult(False, reason, detail)


# --- length ---------------------------------------------------------------------------------------------------


def check_length(reasoning: str, config: FilterConfig) -> FilterResult:
    # Surrounding whitespace is formatting, not reasoning.
    length = len(reasoning.strip())
    if length < config.min_reasoning_chars:
        return _fail("too_short", f"reasoning has {length} chars (min {config.min_reasoning_chars})")
    if length > config.max_reasoning_chars:
        return _fail("too_long", f"reasoning has {length} chars (max {config.max_reasoning_chars})")
    return OK


# --- language mixing ------------------------------------------------------------------------------------------

# Letters that math text borrows whatever its language: Greek (π, θ, α), mathematical alphanumerics (𝑥),
# letterlike symbols (ℝ, ℓ, ℏ) and modifier letters (ʰ); Coptic shares Greek's block. Counting them as foreign
# would reject most geometry.
_NEUTRAL_NAME_PREFIXES = ("GREEK", "COPTIC", "MATHEMATICAL", "DOUBLE-STRUCK", "SCRIPT", "BLACK-LETTER", "MODIFIER")
_IDEOGRAPHIC_NAME_PARTS = ("CJK", "IDEOGRAPH", "HIRAGANA", "KATAKANA", "BOPOMOFO")
_SCRIPT_LETTER_PARTS = (" LETTER", " CHARACTER", " SYLLABLE", " SYLLABICS")


@lru_cache(maxsize=8192)
def letter_script(char: str) -> str | None:
    """The script group of one letter ("latin", "cjk", "cyrillic", "arabic", ...), or None when neutral.

    Han, kana and Hangul are one group: Japanese mixes kanji with kana, and the failure we look for is
    East Asian text inside a Western answer (or the reverse), not which East Asian script it is.
    """
    if char.isascii():
        return "latin" if char.isalpha() else None
    if not char.isalpha():
        return None
    name = unicodedata.name(char, "")
    if not name:
        return None
    if "HANGUL" in name or any(part in name for part in _IDEOGRAPHIC_NAME_PARTS):
        return "cjk"
    if name.startswith(_NEUTRAL_NAME_PREFIXES) or "GREEK" in name:
        return None
    if "LATIN" in name:
        return "latin"
    # Unicode names start with the script ("CYRILLIC SMALL LETTER A", "HEBREW LETTER ALEF", "THAI CHARACTER KO
    # KAI"); names without a letter-ish word are symbols such as "MICRO SIGN" or "ALEF SYMBOL", used in math.
    if any(part in name for part in _SCRIPT_LETTER_PARTS):
        return name.split(" ", 1)[0].lower()
    return None


def _letters_by_script(text: str) -> tuple[int, Counter[str]]:
    """(number of letters, letters per non-neutral script group)."""
    total = 0
    scripts: Counter[str] = Counter()
    # Classify distinct characters, not positions: a 60K text has a few hundred distinct characters.
    for char, count in Counter(text).items():
        if not char.isalpha():
            continue
        total += count
        script = letter_script(char)
        if script is not None:
            scripts[script] += count
    return total, scripts


def check_language_mixing(reasoning: str, question: str, config: FilterConfig) -> FilterResult:
    total, scripts = _letters_by_script(reasoning)
    if total == 0:
        return OK
    allowed = ALWAYS_ALLOWED_SCRIPTS | set(_letters_by_script(question)[1])
    foreign = {script: count for script, count in scripts.items() if script not in allowed}
    foreign_total = sum(foreign.values())
    ratio = foreign_total / total
    if ratio <= config.max_foreign_script_ratio:
        return OK
    listing = ", ".join(f"{script} {count}" for script, count in sorted(foreign.items(), key=lambda kv: -kv[1]))
    return _fail(
        "language_mixing",
        f"{ratio:.1%} of letters ({foreign_total} of {total}) are in scripts absent from the question: {listing}",
    )


# --- repetition -----------------------------------------------------------------------------------------------

_WORD = re.compile(r"[^\W_]++")


@lru_cache(maxsize=8192)
def _is_ideographic(char: str) -> bool:
    # Han, kana and bopomofo; Korean separates words with spaces, so Hangul stays in words.
    return not char.isascii() and any(part in unicodedata.name(char, "") for part in _IDEOGRAPHIC_NAME_PARTS)


def word_tokens(text: str) -> list[str]:
    """Lowercase alphanumeric runs; each Han/kana character is its own token, since Chinese and Japanese
    do not separate words with spaces and a whole paragraph would otherwise be one "word"."""
    tokens: list[str] = []
    for word in _WORD.findall(text.lower()):
        if word.isascii():
            tokens.append(word)
            continue
        start = 0
        for index, char in enumerate(word):
            if _is_ideographic(char):
                if start < index:
                    tokens.append(word[start:index])
                tokens.append(char)
                start = index + 1
        if start < len(word):
            tokens.append(word[start:])
    return tokens


def _longest_line_run(text: str) -> tuple[int, str]:
    # Blank lines between copies do not break a loop: models often emit "line\n\nline\n\nline".
    best, best_line, run, previous = 0, "", 0, None
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        run = run + 1 if line == previous else 1
        previous = line
        if run > best:
            best, best_line = run, line
    return best, best_line


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def check_repetition(reasoning: str, config: FilterConfig) -> FilterResult:
    run, line = _longest_line_run(reasoning)
    if run > config.max_repeated_line_run:
        return _fail("repetition", f"line '{_shorten(line)}' repeated {run} times in a row")

    n = config.repeat_ngram
    tokens = word_tokens(reasoning)
    # With fewer than three n-grams' worth of words there is no loop to speak of, and ratios are noise.
    if n <= 0 or len(tokens) < 3 * n:
        return OK
    ngrams = Counter(zip(*(tokens[offset:] for offset in range(n)), strict=False))
    gram, count = ngrams.most_common(1)[0]
    if count > config.max_ngram_repeats:
        return _fail("repetition", f"{n}-gram '{_shorten(' '.join(gram))}' repeated {count} times")
    total = len(tokens) - n + 1
    ratio = (total - len(ngrams)) / total
    if ratio > config.max_duplicate_ngram_ratio:
        return _fail("repetition", f"{ratio:.0%} of {n}-grams are repeats (max {config.max_duplicate_ngram_ratio:.0%})")
    return OK


# --- refusal --------------------------------------------------------------------------------------------------

_APOSTROPHES = str.maketrans({"\u2019": "'", "\u2018": "'", "\u02bc": "'", "\u2032": "'"})

# Literal words joined by single spaces (the text's whitespace is collapsed first), so matching is linear.
# A first-person refusal or an apology is a refusal wherever it appears.
_REFUSAL = re.compile(
    r"\b(?:i(?: cannot| can't| can not| am unable|'m unable| am not able|'m not able)"
    r"|i(?: am|'m) sorry|i apologi[sz]e|as an ai)\b",
    re.IGNORECASE,
)
# Saying that something cannot be known is a refusal only in a short text: a reasoner's answer text is often a
# written-out solution, where "x cannot be determined from (1) alone, so we use (2)" is ordinary math.
_INABILITY = re.compile(
    r"\b(?:(?:cannot|can't|can not|unable to|impossible to|not possible to) (?:be )?determined?"
    r"|insufficient information|not enough information"
    r"|the (?:image |given |provided )?(?:description|image|figure|diagram) (?:does not|doesn't|did not|didn't) "
    r"(?:provide|mention|specify|give|include|state|show|say))\b",
    re.IGNORECASE,
)


def _refusal_phrase(text: str) -> str | None:
    """The first refusal phrase in ``text``, or None."""
    normalized = " ".join(text.translate(_APOSTROPHES).split())
    patterns = (_REFUSAL, _INABILITY) if len(normalized) < SHORT_TEXT_CHARS else (_REFUSAL,)
    matches = [match for pattern in patterns if (match := pattern.search(normalized))]
    return min(matches, key=lambda match: match.start()).group(0) if matches else None


def check_refusal(reasoning: str, answer_text: str) -> FilterResult:
    """A refusal, apology or "cannot be determined" in the answer; in the reasoning only when it is short,
    since long reasoning legitimately says "we cannot have x < 0" (and a short one is mostly its conclusion)."""
    phrase = _refusal_phrase(answer_text)
    if phrase is not None:
        return _fail("refusal", f"answer says '{phrase}'")
    if len(reasoning.strip()) < SHORT_TEXT_CHARS:
        phrase = _refusal_phrase(reasoning)
        if phrase is not None:
            return _fail("refusal", f"short reasoning says '{phrase}'")
    return OK


# --- all rules ------------------------------------------------------------------------------------------------


def run_filters(reasoning: str, answer_text: str, question: str, config: FilterConfig) -> FilterResult:
    """The first failing rule, cheapest and most decisive first: length, refusal, language, repetition."""
    for result in (
        check_length(reasoning, config),
        check_refusal(reasoning, answer_text),
        check_language_mixing(reasoning, question, config),
        check_repetition(reasoning, config),
    ):
        if not result.ok:
            return result
    return OK


# --- description -> image -------------------------------------------------------------------------------------

# Horizontal whitespace only: a phrase split over a line break is rare and rewriting across lines is riskier.
_SP = r"[^\S\n]++"
_DESCRIPTION_REFERENCE = re.compile(
    rf"\b(?:(?P<described>described{_SP}in{_SP})?the(?:{_SP}(?:given|provided|image))?{_SP}description\b"
    rf"(?:{_SP}(?P<verb>says|states|mentions|shows|said|stated|mentioned|showed)\b)?)",
    re.IGNORECASE,
)


def _description_replacement(match: re.Match[str]) -> str:
    verb = match.group("verb")
    described = match.group("described") is not None
    replacement = "shown in the image" if described else "the image"
    if verb is not None:
        # "described in the description states ..." is ungrammatical already; keep its verb rather than guess.
        if described:
            replacement += " " + verb
        else:
            replacement += " shows" if verb.lower() in ("says", "states", "mentions", "shows") else " showed"
    original = match.group(0)
    if original.isupper():
        return replacement.upper()
    if original[0].isupper():
        return replacement[0].upper() + replacement[1:]
    return replacement


def rewrite_description_references(text: str) -> tuple[str, int]:
    """Make reasoning written from an image description speak of the image itself.

    "the (given|provided|image) description" -> "the image" (which also covers "according to the description",
    "From the description," and "the description provided"), "described in the description" -> "shown in the
    image", "the description says/states/mentions/shows" -> "the image shows". A capital first letter is kept;
    other senses of "description" ("descriptions of sets", "a description") are left alone.
    """
    return _DESCRIPTION_REFERENCE.subn(_description_replacement, text)
