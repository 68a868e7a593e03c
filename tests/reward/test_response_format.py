from __future__ import annotations

import pytest

from vision_r1_plugins.answers.boxes import last_boxed, strip_eos
from vision_r1_plugins.reward.response_format import parse_response

OK = "<think>\n3 + 4 = 7.\n</think>\n<answer> Final Answer: 7 </answer>"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        (OK, "ok"),
        ("  \n" + OK + "\n\n", "ok"),
        (OK + "<|im_end|>", "ok"),
        (OK + "<|im_end|>\n<|endoftext|>", "ok"),
        ("", "empty"),
        ("   ", "empty"),
        ("<answer>7</answer>", "no_think"),
        ("<think>x</think>", "no_answer"),
        ("<think>x</think><answer>7", "no_answer"),
        ("<think>x<answer>7</answer>", "no_think"),
        ("<think>a</think><think>b</think><answer>7</answer>", "two_think"),
        ("<think>a <think>b</think><answer>7</answer>", "two_think"),
        ("<think>a</think><answer>7</answer><answer>8</answer>", "two_answers"),
        ("<think>a <answer>8</answer></think><answer>7</answer>", "two_answers"),
        ("<answer>7</answer><think>a</think>", "tag_order"),
        ("</think>a<think><answer>7</answer>", "tag_order"),
        ("Sure! <think>a</think><answer>7</answer>", "text_before_think"),
        ("<think>a</think> so <answer>7</answer>", "text_between"),
        ("<think>a</think><answer>7</answer> done", "text_after_answer"),
        ("<think>  \n </think><answer>7</answer>", "empty_think"),
        ("<think>a</think><answer> </answer>", "empty_answer"),
        ("<Think>a</Think><answer>7</answer>", "bad_tag"),
        ("<think>a</think><answer>7</answer >", "bad_tag"),
        ("< think>a</think><answer>7</answer>", "bad_tag"),
        ("<think>a</think><ANSWER>7</ANSWER>", "bad_tag"),
        ("<think>I guess <answer is 7</think><answer>7</answer>", "bad_tag"),
        ("<think>a</think><answer>7</answer><|im_end|>trailing", "text_after_answer"),
    ],
)
def test_think_answer_format(text: str, reason: str) -> None:
    parsed = parse_response(text)
    assert parsed.reason == reason
    assert parsed.format_ok is (reason == "ok")


def test_lookalike_tag_names_are_plain_text() -> None:
    # <thinking> is not a think tag; it is ordinary text inside the reasoning.
    parsed = parse_response("<think>my <thinking> notes</think><answer>7</answer>")
    assert parsed.format_ok and parsed.answer == "7"


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("3 + 4 = 7.\n</think>\n<answer>7</answer>", "ok"),
        ("<think>3 + 4</think><answer>7</answer>", "two_think"),
        ("3 + 4 = 7. <answer>7</answer>", "no_think"),
        ("  </think><answer>7</answer>", "empty_think"),
    ],
)
def test_think_in_prompt(text: str, reason: str) -> None:
    assert parse_response(text, think_in_prompt=True).reason == reason


@pytest.mark.parametrize(
    ("text", "reason", "answer"),
    [
        ("<think>3+4</think>The answer is \\boxed{7}.", "ok", "7"),
        ("<think>3+4</think>\\boxed{7}", "ok", "7"),
        ("<think>try \\boxed{6}</think>So $\\boxed{\\frac{7}{1}}$", "ok", "\\frac{7}{1}"),
        ("<think>3+4</think>\\boxed{6} or \\boxed{7}", "multiple_boxed", "7"),
        ("<think>3+4</think>The answer is 7.", "no_boxed", None),
        ("<think>3+4</think>\\boxed{7} because reasons", "text_after_answer", "7"),
        # The lenient answer is what the shared extractor reads in the block: the box content.
        ("<think>3+4</think><answer>\\boxed{7}</answer>", "answer_tag_in_boxed_style", "7"),
        ("<think>3+4</think>\\boxed{ }", "empty_answer", None),
        ("\\boxed{7}", "no_think", "7"),
    ],
)
def test_boxed_style(text: str, reason: str, answer: str | None) -> None:
    parsed = parse_response(text, style="boxed")
    assert parsed.reason == reason
    assert parsed.answer == answer


def test_helpers() -> None:
    assert strip_eos("x <|im_end|> \n") == "x"
    text = "a \\boxed{1} b \\boxed{\\frac{1}{2}} c"
    assert last_boxed(text) == ("\\frac{1}{2}", 2, text.index(" c"))
    assert last_boxed("\\boxed{unclosed")[0] is None
