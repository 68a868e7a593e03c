"""Character-level normalisation of responses and answers: invisible characters, look-alikes, notation.

A policy under RL finds every character that a human reader does not see: zero-width spaces make an empty
think block look non-empty, and a zero-width joiner inside ``</think>`` hides a tag from an exact-string
search. Everything here is linear in the text and imports nothing heavier than :mod:`unicodedata`.
"""

from __future__ import annotations

import re
import unicodedata

# Unicode category Cf (format characters: zero-width space/joiners, word joiner, BOM, soft hyphen, bidi
# controls, tags) as of Unicode 15, plus the blanks that render as nothing but are letters or symbols
# (Hangul fillers, the Braille blank, the Mongolian vowel separator). Literal ranges rather than a scan of
# all code points at import time; a test checks the class against the running Python's Unicode database.
INVISIBLE_CLASS = (
    "\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f"
    "\u115f\u1160\u3164\uffa0\u2800"
    # Characters that attach to nothing visible: variation selectors, the combining grapheme joiner, Khmer
    # and Mongolian inherent vowels and selectors, and the C0/C1 controls other than whitespace.
    "\u034f\u17b4\u17b5\u180b-\u180d\u180f\ufe00-\ufe0f\U000e0100-\U000e01ef"
    "\x00-\x08\x0e-\x1f\x7f-\x9f"
    # Combining marks with nothing to combine with render as nothing on their own.
    "\u0300-\u036f\u20d0-\u20ff"
)
_INVISIBLE = re.compile(f"[{INVISIBLE_CLASS}]+")
_VISIBLE = re.compile(rf"[^\s{INVISIBLE_CLASS}]")
_ASCII_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def strip_invisible(text: str) -> str:
    """``text`` without invisible characters (printable ASCII text is returned as is, at no cost)."""
    if text.isascii() and (text.isprintable() or not _ASCII_CONTROL.search(text)):
        return text
    return _INVISIBLE.sub("", text)


def has_content(text: str) -> bool:
    """Whether ``text`` holds anything a reader sees: not only whitespace and invisible characters."""
    return _VISIBLE.search(text) is not None


# Letters that render like the Latin letters of "think" and "answer" (and the rest of the alphabet's usual
# suspects): Cyrillic, Greek and a few others. Full-width forms are folded by NFKC.
_CONFUSABLES = str.maketrans(
    "аеорсхукіјһԁѕԛԝАВЕКМНОРСТХІЈЅαεικνοτυχΑΒΕΗΙΚΜΝΟΡΤΥΧɑгɡոսıɪмтнвℎķẹạọ",
    "aeopcxykijhdsqwABEKMHOPCTXIJSaeikvotuxABEHIKMNOPTYXargnuiimthbhkeao",
)


def fold_lookalikes(text: str) -> str:
    """What a reader takes ``text`` to say: invisible characters dropped, full-width and look-alike letters
    mapped to ASCII, lower case, no whitespace. Used to spot disguised tags, never to rewrite a response."""
    folded = unicodedata.normalize("NFKC", strip_invisible(text)).translate(_CONFUSABLES)
    return "".join(folded.split()).lower()


# ---------------------------------------------------------------------------------------------------------
# Answer notation

_SUPERSCRIPTS = str.maketrans(
    {
        "⁰": "0",
        "¹": "1",
        "²": "2",
        "³": "3",
        "⁴": "4",
        "⁵": "5",
        "⁶": "6",
        "⁷": "7",
        "⁸": "8",
        "⁹": "9",
        "⁻": "-",
        "⁺": "+",
    }
)
_SUPERSCRIPT_RUN = re.compile("[⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁺]+")
_SYMBOLS = {
    "−": "-",
    "–": "-",
    "×": "\\times ",
    "÷": "\\div ",
    "·": "\\cdot ",
    "∞": "\\infty ",
    "π": "\\pi ",
    "≤": "\\le ",
    "≥": "\\ge ",
    "⩽": "\\le ",
    "⩾": "\\ge ",
    "≠": "\\neq ",
    "≈": "\\approx ",
    "≒": "\\approx ",
    "≃": "\\simeq ",
    "≅": "\\cong ",
    "∼": "\\sim ",
    "≡": "\\equiv ",
    "∝": "\\propto ",
    "≮": "\\nless ",
    "≯": "\\ngtr ",
    "≰": "\\nleq ",
    "≱": "\\ngeq ",
    "∉": "\\notin ",
    "≪": "\\ll ",
    "≫": "\\gg ",
    "⊂": "\\subset ",
    "⊆": "\\subseteq ",
    "⊃": "\\supset ",
    "≺": "\\prec ",
    "≻": "\\succ ",
    "¬": "\\neg ",
    "∠": "\\angle ",
    "∪": "\\cup ",
    "∩": "\\cap ",
    "∈": "\\in ",
    "∓": "\\mp ",
    "±": "\\pm ",
    "∨": "\\lor ",
    "∧": "\\land ",
    "∣": "|",
    "ǀ": "|",
    "‚": ",",
    "⁏": ";",
    "—": ", ",
    "―": ", ",
    "⁄": "/",
    "…": "...",
    "\u3000": " ",
    "。": ".",
}
# Vulgar fractions, before NFKC (which spells "3½" as "31⁄2").
_VULGAR = {
    "½": "\\frac{1}{2}",
    "⅓": "\\frac{1}{3}",
    "⅔": "\\frac{2}{3}",
    "¼": "\\frac{1}{4}",
    "¾": "\\frac{3}{4}",
    "⅕": "\\frac{1}{5}",
    "⅙": "\\frac{1}{6}",
    "⅛": "\\frac{1}{8}",
}
_VULGAR_RUN = re.compile("(\\d?)([" + "".join(_VULGAR) + "])")
_SYMBOL = re.compile("|".join(map(re.escape, _SYMBOLS)))
# √3, √(x+1), √{3}, sqrt(3), sqrt 3: LaTeX's \sqrt{..}.
_RADICAL = re.compile(
    r"(?:√|(?<![A-Za-z\\])sqrt)\s*(?:\((?P<paren>[^()]*)\)|\{(?P<brace>[^{}]*)\}|(?P<bare>\d+(?:\.\d+)?|[A-Za-z]))"
)


def _superscript(match: re.Match[str]) -> str:
    return "^{" + match.group(0).translate(_SUPERSCRIPTS) + "}"


def normalize_notation(text: str) -> str:
    """Plain-text and full-width notation in LaTeX/ASCII: ``５²`` -> ``5^{2}``, ``2√3`` -> ``2\\sqrt{3}``,
    ``（C）`` -> ``(C)``, ``−`` -> ``-``. Invisible characters are dropped."""
    text = strip_invisible(text)
    if text.isascii():
        return _RADICAL.sub(_radical, text) if "sqrt" in text else text
    # Superscripts first: NFKC would turn "5²" into "52". A full-width comma is punctuation, never a
    # thousands separator, so it keeps a space after it ("100，100" is two values, not 100100).
    text = _SUPERSCRIPT_RUN.sub(_superscript, text).replace("，", ", ")
    text = _VULGAR_RUN.sub(
        lambda match: f"{match.group(1)}{' + ' if match.group(1) else ''}{_VULGAR[match.group(2)]}", text
    )
    text = unicodedata.normalize("NFKC", text)
    text = _SYMBOL.sub(lambda match: _SYMBOLS[match.group(0)], text)
    return _RADICAL.sub(_radical, text)


def _radical(match: re.Match[str]) -> str:
    inner = match.group("paren") or match.group("brace") or match.group("bare") or ""
    return f"\\sqrt{{{inner.strip()}}}"


# ---------------------------------------------------------------------------------------------------------
# What the answer reader reads

# Invisible characters the reader drops: format characters (Cf) and blank letters, as above, but NOT combining
# marks or variation selectors: attached to a value they change what it shows ("5̶" is a struck-out 5), so they
# stay, and the lexer, which has no token for them, leaves them unaccounted. Nor the tag characters
# (U+E0001, U+E0020-E007F), which spell hidden ASCII text ("5" + tags spelling " or 6").
_READER_INVISIBLE = re.compile(
    "[\u00ad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891\u08e2\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064"
    "\u2066-\u206f\ufeff\ufff9-\ufffb\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
    "\U0001d173-\U0001d17a\u115f\u1160\u3164\uffa0\u2800\x00-\x08\x0e-\x1f\x7f-\x9f]+"
)
_SUBSCRIPTS = str.maketrans(
    {"₀": "0", "₁": "1", "₂": "2", "₃": "3", "₄": "4", "₅": "5", "₆": "6", "₇": "7", "₈": "8", "₉": "9"}
)
_SUBSCRIPT_RUN = re.compile("[₀₁₂₃₄₅₆₇₈₉]+")
_GREEK = {
    "α": "\\alpha ",
    "β": "\\beta ",
    "γ": "\\gamma ",
    "δ": "\\delta ",
    "ε": "\\epsilon ",
    "θ": "\\theta ",
    "λ": "\\lambda ",
    "μ": "\\mu ",
    "σ": "\\sigma ",
    "φ": "\\phi ",
    "ω": "\\omega ",
    "ρ": "\\rho ",
    "τ": "\\tau ",
    "Δ": "\\Delta ",
    "Σ": "\\Sigma ",
    "Ω": "\\Omega ",
    "Θ": "\\Theta ",
    "Φ": "\\Phi ",
    "ψ": "\\psi ",
    "η": "\\eta ",
    "ζ": "\\zeta ",
    "ξ": "\\xi ",
    "κ": "\\kappa ",
    "ν": "\\nu ",
    "χ": "\\chi ",
    "ι": "\\iota ",
}
_READER_SYMBOLS = {
    "−": "-",
    "×": "\\times ",
    "÷": "\\div ",
    "·": "\\cdot ",
    "⋅": "\\cdot ",
    "∙": "\\cdot ",
    "∞": "\\infty ",
    "π": "\\pi ",
    "≤": "\\le ",
    "≥": "\\ge ",
    "⩽": "\\le ",
    "⩾": "\\ge ",
    "≠": "\\neq ",
    "≈": "\\approx ",
    "≃": "\\simeq ",
    "≅": "\\cong ",
    "∼": "\\sim ",
    "≡": "\\equiv ",
    "∝": "\\propto ",
    "∉": "\\notin ",
    "∈": "\\in ",
    "⊂": "\\subset ",
    "⊆": "\\subseteq ",
    "⊃": "\\supset ",
    "⊇": "\\supseteq ",
    "∠": "\\angle ",
    "∡": "\\angle ",
    "△": "\\triangle ",
    "∪": "\\cup ",
    "∩": "\\cap ",
    "∓": "\\mp ",
    "±": "\\pm ",
    "∅": "\\emptyset ",
    "∥": "\\parallel ",
    "⊥": "\\perp ",
    "。": ".",
    "、": ", ",
    "～": "~",
    "∴": "therefore ",
    "【": "[",
    "】": "]",
    "「": '"',
    "」": '"',
    "『": '"',
    "』": '"',
    "〔": "(",
    "〕": ")",
} | _GREEK
_READER_SYMBOL = re.compile("|".join(map(re.escape, _READER_SYMBOLS)) + r"|~=|==")
_ASCII_REPLACEMENTS = {"~=": "\\approx ", "==": "="}


def normalize_answer_text(text: str) -> str:
    """An answer as the reader lexes it: format characters dropped, superscripts and subscripts as ``^{..}``
    and ``_{..}``, vulgar fractions as ``\\frac``, full-width and other compatibility forms folded (NFKC), and
    Unicode math symbols, Greek letters and ``√`` in their LaTeX spelling. Nothing is removed that shows."""
    text = _READER_INVISIBLE.sub("", text)
    if not text.isascii():
        text = _SUPERSCRIPT_RUN.sub(_superscript, text)
        text = _SUBSCRIPT_RUN.sub(lambda match: "_{" + match.group(0).translate(_SUBSCRIPTS) + "}", text)
        text = text.replace("，", ", ")  # a full-width comma separates; it never groups thousands
        text = _VULGAR_RUN.sub(
            lambda match: f"{match.group(1)}{' + ' if match.group(1) else ''}{_VULGAR[match.group(2)]}", text
        )
        text = unicodedata.normalize("NFKC", text)
    if not text.isascii() or "~=" in text or "==" in text:
        text = _READER_SYMBOL.sub(
            lambda match: _READER_SYMBOLS.get(match.group(0)) or _ASCII_REPLACEMENTS[match.group(0)], text
        )
    if "√" in text or "sqrt" in text:
        text = _RADICAL.sub(_radical, text)
    return text
