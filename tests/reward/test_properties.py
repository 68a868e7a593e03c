"""Format properties a GRPO policy would probe: no invisible character makes a broken tag or an empty think block
pass, no look-alike letter makes a tag. (The answer's own properties are in tests/answers/test_properties.py.)"""

from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from vision_r1_plugins.answers.characters import INVISIBLE_CLASS, has_content, strip_invisible
from vision_r1_plugins.reward import compute_score

THINK = "<think>\nThe figure shows the lengths.\n</think>\n"

INVISIBLES = [
    chr(code)
    for code in (
        0x200B,
        0x200C,
        0x200D,
        0x2060,
        0xFEFF,
        0x00AD,
        0x3164,
        0x2800,
        0x180E,
        0x202E,
        0x2066,
        0xE0020,
        0x115F,
        0xFFA0,
    )
]
invisible = st.sampled_from(INVISIBLES) | st.characters(categories=["Cf"])
GOOD = f"{THINK}<answer>5</answer>"
TAGS = ["<think>", "</think>", "<answer>", "</answer>"]


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(TAGS), st.data(), invisible)
def test_an_invisible_character_inside_a_tag_never_scores(tag: str, data: st.DataObject, char: str) -> None:
    position = data.draw(st.integers(1, len(tag) - 1))
    response = GOOD.replace(tag, tag[:position] + char + tag[position:], 1)
    result = compute_score("prop", response, "5")
    assert result["score"] == 0.0 and result["reason"] == "bad_tag", (response, result)


@settings(max_examples=200, deadline=None)
@given(st.lists(invisible | st.sampled_from([" ", "\n", "\t", "\u3000"]), min_size=1, max_size=12).map("".join))
def test_a_think_block_of_invisible_characters_is_empty(body: str) -> None:
    result = compute_score("prop", f"<think>{body}</think>\n<answer>5</answer>", "5")
    assert result["score"] == 0.0 and result["reason"] == "empty_think", (body, result)


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(TAGS), st.sampled_from("аеосрхіＡＮＴｔｈｉｎｋａｅ"), st.data())
def test_a_lookalike_letter_in_a_tag_never_scores(tag: str, letter: str, data: st.DataObject) -> None:
    letters = [index for index, char in enumerate(tag) if char.isalpha()]
    position = data.draw(st.sampled_from(letters))
    response = GOOD.replace(tag, tag[:position] + letter + tag[position + 1 :], 1)
    assert compute_score("prop", response, "5")["score"] == 0.0, response


def test_invisible_class_covers_every_format_character() -> None:
    missing = [
        hex(code)
        for code in range(0x110000)
        if unicodedata.category(chr(code)) == "Cf" and strip_invisible(chr(code)) == chr(code)
    ]
    assert not missing
    assert all(not has_content(char) for char in INVISIBLE_CLASS if char != "-")
    assert has_content("\u200bx") and not has_content(" \u200b\n\u3164")
