"""Text primitives of final answers: ``\\boxed{..}`` spans and the end-of-sequence markers decoders leave.

Linear scans only: responses under RL run to hundreds of thousands of characters.
"""

from __future__ import annotations

BOXED = "\\boxed"
# Decoders that keep special tokens leave these at the end of an otherwise clean response.
_EOS_MARKERS = ("<|im_end|>", "<|endoftext|>", "</s>", "<｜end▁of▁sentence｜>")


def strip_eos(text: str) -> str:
    text = text.rstrip()
    changed = True
    while changed:
        changed = False
        for marker in _EOS_MARKERS:
            if text.endswith(marker):
                text = text[: -len(marker)].rstrip()
                changed = True
    return text


def match_brace(text: str, open_index: int) -> int:
    """Index of the ``}`` closing the ``{`` at ``open_index``, or -1. Linear."""
    depth = 0
    for index in range(open_index, len(text)):
        char = text[index]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                return index
    return -1


def last_boxed(text: str) -> tuple[str | None, int, int]:
    """Content of the last ``\\boxed{..}`` in ``text``, and the count of ``\\boxed`` occurrences.

    Returns (content or None, number of occurrences, index just past the closing brace or -1).
    """
    count = text.count(BOXED)
    if count == 0:
        return None, 0, -1
    content, end = boxed_at(text, text.rfind(BOXED))
    return content, count, end


def boxed_at(text: str, start: int) -> tuple[str | None, int]:
    """The ``\\boxed{..}`` starting at ``start``: its content and the index just past its ``}``, or (None, -1)."""
    brace = start + len(BOXED)
    while brace < len(text) and text[brace] == " ":
        brace += 1
    if brace >= len(text) or text[brace] != "{":
        return None, -1
    close = match_brace(text, brace)
    if close < 0:
        return None, -1
    return text[brace + 1 : close], close + 1
