"""The modality-bridging filters: every rejection kind, the near misses that must pass, and linear time."""

from __future__ import annotations

import math

import pytest

from vision_r1_plugins.bridge.filters import (
    SHORT_TEXT_CHARS,
    FilterConfig,
    FilterResult,
    check_language_mixing,
    check_length,
    check_refusal,
    check_repetition,
    letter_script,
    rewrite_description_references,
    run_filters,
    word_tokens,
)
from vision_r1_plugins.generation.thinking import reflection_markers

CONFIG = FilterConfig()
# Adversarial inputs are far past max_reasoning_chars; this config lets them reach every rule.
HUGE = FilterConfig(max_reasoning_chars=10**7)
QUESTION = "As shown in the image, how many right triangles with integer sides have a hypotenuse of at most 25?"

_INTRO = """Okay, let me look at the problem. The image shows a right triangle ABC with the right angle at C, and the
hypotenuse AB is labeled c. The legs are labeled a and b. The question asks how many right triangles with integer
side lengths have a hypotenuse of at most 25, counting triangles that are congruent only once.

So I need to count Pythagorean triples (a, b, c) with a^2 + b^2 = c^2, a <= b, and c <= 25. Since congruent
triangles are counted once, I can assume a <= b, which removes the mirror images (a, b) and (b, a).

Hmm, there are a few ways to do this. One way is to use the parametrization of primitive triples: every primitive
triple has the form a = m^2 - n^2, b = 2mn, c = m^2 + n^2 with m > n > 0, gcd(m, n) = 1 and m - n odd. Then every
triple is a multiple k(a, b, c) of a primitive one. That would be quick, but it is easy to miss a multiple, so
maybe I should just enumerate directly and use the parametrization as a cross-check at the end.

Wait, before enumerating, let me think about the bounds. For a fixed c, I need a^2 + b^2 = c^2 with a <= b, so
2a^2 <= c^2, which means a <= c / sqrt(2). For c = 25 that is a <= 17.67, so a goes up to 17. Also a must be at
least 1, but actually the smallest leg in any triple is at least 3, since 1 and 2 never work: if a = 1 then
c^2 - b^2 = 1, so (c - b)(c + b) = 1, impossible for positive integers with c > b. If a = 2, then
(c - b)(c + b) = 4, and the two factors have the same parity, so both are 2, giving b = 0. Not allowed.

Also, c itself cannot be smaller than 5, because the smallest triple is (3, 4, 5). So c runs from 5 to 25.

Let me also recall which numbers can be a hypotenuse at all. A number c is the hypotenuse of some integer right
triangle exactly when it has at least one prime factor congruent to 1 mod 4. The primes up to 25 that are 1 mod 4
are 5, 13, and 17. So the possible hypotenuses up to 25 are the multiples of 5, 13, or 17: that is 5, 10, 13, 15,
17, 20, 25. Wait, 26 is 2 * 13 but it is above 25, so it does not count. Let me double-check the list: multiples
of 5 up to 25 are 5, 10, 15, 20, 25; multiples of 13 are 13 (26 is too big); multiples of 17 are 17. So the list
is 5, 10, 13, 15, 17, 20, 25. That is seven values of c.

Hmm, but c = 25 = 5^2 might have more than one triple, since 25 has the prime 5 twice. I remember (7, 24, 25)
and (15, 20, 25). So I expect at least 8 triangles in total. Let me verify everything by brute force anyway,
because the shortcut about prime factors is something I am recalling, not something I derived here.

I will go through each c, compute c^2, and for each a from 3 up to floor(c / sqrt(2)) check whether c^2 - a^2 is a
perfect square. This is tedious but reliable.
"""

_MIDDLE = """
Okay, that is the brute force. Let me collect the triangles I found. Hmm, I should be careful not to count the
same triangle twice; since I always kept a <= b, each triangle appears once.

Wait, I want to double-check the case c = 25 again, because it is the only hypotenuse with two triples. For
a = 7: 49 + 576 = 625, and 576 = 24^2. For a = 15: 225 + 400 = 625, and 400 = 20^2. Both are right. And (15, 20,
25) is just 5 times (3, 4, 5), while (7, 24, 25) is primitive. That matches the prime factor argument: 25 = 5^2,
and the number of representations of 25 as a sum of two positive squares with a <= b is 2.

Now the cross-check with the parametrization. The primitive triples with c <= 25 come from:
m = 2, n = 1: (3, 4, 5).
m = 3, n = 2: (5, 12, 13).
m = 4, n = 1: (15, 8, 17), that is (8, 15, 17).
m = 4, n = 3: (7, 24, 25).
m = 5, n = 2: c = 29, too big. And m = 3, n = 1 has m - n even, so it is not primitive; it gives (8, 6, 10),
which is 2 times (3, 4, 5) and is already counted as a multiple.
So the primitive triples are (3, 4, 5), (5, 12, 13), (8, 15, 17), (7, 24, 25).

Multiples with c <= 25: (3, 4, 5) times 2, 3, 4, 5 gives (6, 8, 10), (9, 12, 15), (12, 16, 20), (15, 20, 25).
(5, 12, 13) times 2 gives c = 26, too big. (8, 15, 17) times 2 gives c = 34, too big. (7, 24, 25) times 2 is too
big as well. So the multiples add 4 triangles.

Total: 4 primitive + 4 non-primitive = 8. Let me list them once more to be sure:
1. (3, 4, 5)
2. (6, 8, 10)
3. (5, 12, 13)
4. (9, 12, 15)
5. (8, 15, 17)
6. (12, 16, 20)
7. (7, 24, 25)
8. (15, 20, 25)

Wait, is there anything with c = 21 or c = 24 that I might have missed? 21 = 3 * 7, and neither 3 nor 7 is 1 mod 4,
so no. 24 = 2^3 * 3, also no. And the brute force above agrees: I found nothing for those values. What about
c = 22 = 2 * 11? 11 is 3 mod 4, so no. c = 23 is prime and 23 is 3 mod 4, so no. Good.

Hmm, let me also reconsider the question's wording, since the image might intend something different. The image
labels only the hypotenuse, so "a hypotenuse of at most 25" is a condition on c alone, and the legs can be
anything. The question says "right triangles with integer sides", so all three sides must be integers, which is
what I assumed. Congruent triangles count once, which I handled by requiring a <= b. Similar but not congruent
triangles, like (3, 4, 5) and (6, 8, 10), are different triangles, so they both count. I think that is the right
reading: the question asks how many triangles, not how many shapes.

But wait, what if the problem meant to count ordered pairs (a, b)? Then each triangle would count twice, giving
16. That seems unlikely, because the question says "how many right triangles", and swapping the legs gives the same
triangle. So 8 it is.

Let me double-check the arithmetic of one of the middle cases as well, say c = 17: 17^2 = 289, and 289 - 64 = 225
= 15^2. Yes, 8^2 + 15^2 = 64 + 225 = 289. And c = 13: 169 - 25 = 144 = 12^2, so 5^2 + 12^2 = 25 + 144 = 169.
Correct. And c = 20: 400 - 144 = 256 = 16^2, so (12, 16, 20). Also 400 - 256 = 144 would give a = 16, b = 12, but
that violates a <= b, and it is the same triangle anyway.

One more sanity check on the count of candidates: the brute force tried every a from 3 up to floor(c / sqrt(2))
for every c from 5 to 25, so no pair was skipped. The only places where c^2 - a^2 was a perfect square were the
eight listed above.

So the answer is 8.
"""


def _brute_force_section() -> str:
    """The enumeration a reasoner writes out: same sentence shapes, different numbers, like real R1 output."""
    lines: list[str] = []
    remarks = [
        "Hmm, nothing for this one.",
        "So no triangle here.",
        "No luck with this hypotenuse.",
        "Nothing works, as expected from the prime factor test.",
    ]
    for c in range(5, 26):
        square = c * c
        lines.append(f"Now c = {c}, so c^2 = {square}. I try a from 3 to {math.isqrt(square // 2)}.")
        found = 0
        for a in range(3, math.isqrt(square // 2) + 1):
            rest = square - a * a
            b = math.isqrt(rest)
            if b * b == rest:
                found += 1
                lines.append(f"a = {a}: {square} - {a * a} = {rest} = {b}^2. That works, giving ({a}, {b}, {c}).")
                lines.append(f"Wait, let me double-check: {a}^2 + {b}^2 = {a * a} + {rest} = {square}. Yes.")
            else:
                lines.append(f"a = {a}: {square} - {a * a} = {rest}, which is between {b}^2 and {b + 1}^2.")
        lines.append(f"So c = {c} gives {found} triangle(s)." if found else remarks[c % len(remarks)])
    return "\n".join(lines)


NATURAL_COT = _INTRO + "\n" + _brute_force_section() + "\n" + _MIDDLE
LOOP_SENTENCE = "Wait, let me re-examine the angle at B. The angle at B is 40 degrees, so the angle at C is 50 degrees."


# --- length ---------------------------------------------------------------------------------------------------


def test_length_bounds() -> None:
    assert check_length("x" * 200, CONFIG).ok
    assert check_length("  \n" + "x" * 200 + "\n\n", CONFIG).ok
    short = check_length("\n" + "x" * 199 + "   ", CONFIG)
    assert (short.ok, short.reason) == (False, "too_short")
    assert "199" in short.detail
    assert check_length("x" * 60_000, CONFIG).ok
    long = check_length("x" * 60_001, CONFIG)
    assert (long.ok, long.reason) == (False, "too_long")


# --- language mixing ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("char", "script"),
    [
        ("a", "latin"),
        ("é", "latin"),
        ("ß", "latin"),
        ("Ａ", "latin"),  # fullwidth
        ("中", "cjk"),
        ("の", "cjk"),
        ("カ", "cjk"),
        ("ー", "cjk"),
        ("한", "cjk"),
        ("ж", "cyrillic"),
        ("ب", "arabic"),
        ("א", "hebrew"),
        ("ก", "thai"),
        ("π", None),
        ("Δ", None),
        ("θ", None),
        ("𝑥", None),  # mathematical italic
        ("ℝ", None),
        ("ℓ", None),
        ("µ", None),  # micro sign
        ("ℵ", None),
        ("1", None),
        ("+", None),
        ("∑", None),
    ],
)
def test_letter_script(char: str, script: str | None) -> None:
    assert letter_script(char) == script


def test_greek_and_math_letters_in_english_are_not_mixing() -> None:
    reasoning = (
        "The angle θ at the center subtends the arc, so the area is (θ/2π)·πr² = θr²/2. With α + β = π/2 we get "
        "sin α = cos β, and Δ = b² − 4ac = 0. For 𝑥 ∈ ℝ with ℓ = 3 µm, λ = 2ℓ. Let me double-check: ω = 2π/T. "
    ) * 5
    zero_tolerance = FilterConfig(max_foreign_script_ratio=0.0)
    assert check_language_mixing(reasoning, QUESTION, zero_tolerance).ok


def test_chinese_question_with_chinese_reasoning_passes() -> None:
    question = "如图，在三角形ABC中，角C为直角，AC=3，BC=4，求AB的长度。"
    reasoning = (
        "嗯，题目说三角形ABC是直角三角形，角C是直角。根据勾股定理，$AB^2 = AC^2 + BC^2 = 9 + 16 = 25$，"
        "所以 $AB = \\sqrt{25} = 5$。等等，让我再检查一下：$3^2 + 4^2 = 25$，没错。设 $x = AB$，则 $x = 5$。"
    ) * 10
    assert check_language_mixing(reasoning, question, FilterConfig(max_foreign_script_ratio=0.0)).ok
    # Latin is always allowed (variables, LaTeX), even when the question has no Latin letters at all.
    assert check_language_mixing(reasoning, "如图所示，求斜边的长度。", FilterConfig(max_foreign_script_ratio=0.0)).ok


def test_japanese_and_korean_reasoning_in_their_own_language_pass() -> None:
    japanese = "図のように、三角形の面積を求めます。底辺は6センチ、高さは4センチなので、面積は12です。" * 10
    assert check_language_mixing(japanese, "図の三角形の面積を求めなさい。", CONFIG).ok
    korean = "그림에서 삼각형의 넓이를 구합니다. 밑변은 6이고 높이는 4이므로 넓이는 12입니다. " * 10
    assert check_language_mixing(korean, "그림의 삼각형의 넓이를 구하시오.", CONFIG).ok


def test_chinese_question_with_english_reasoning_is_not_language_mixing() -> None:
    # Latin is always allowed; a wholesale switch to English is not mixing inside the reasoning.
    assert check_language_mixing(NATURAL_COT, "如图，求斜边不超过25的整数直角三角形的个数。", CONFIG).ok


def test_english_question_with_five_percent_chinese_fails() -> None:
    english = "the hypotenuse squared equals the sum of the squares of the legs " * 30  # 1,590 letters
    letters = sum(char.isalpha() for char in english)
    chinese = "所以答案是八个三角形" * 9  # 90 characters
    reasoning = english[: len(english) // 2] + chinese + english[len(english) // 2 :]
    assert 0.04 < 90 / (letters + 90) < 0.06
    result = check_language_mixing(reasoning, QUESTION, CONFIG)
    assert (result.ok, result.reason) == (False, "language_mixing")
    assert "cjk 90" in result.detail


def test_a_few_stray_cjk_characters_pass() -> None:
    words = "abcdefghij " * 1000  # 10,000 letters
    reasoning = words[:3000] + "的" + words[3000:6000] + "是" + words[6000:] + "了"
    assert check_language_mixing(reasoning, QUESTION, CONFIG).ok


def test_cyrillic_inside_english_fails_but_russian_question_allows_it() -> None:
    reasoning = NATURAL_COT[:2000] + " Итак, ответ равен восьми, потому что мы нашли восемь треугольников. " * 3
    result = check_language_mixing(reasoning, QUESTION, CONFIG)
    assert (result.ok, result.reason) == (False, "language_mixing")
    assert "cyrillic" in result.detail
    assert check_language_mixing(reasoning, "Сколько прямоугольных треугольников на рисунке?", CONFIG).ok


def test_language_mixing_without_letters_passes() -> None:
    assert check_language_mixing("", QUESTION, CONFIG).ok
    assert check_language_mixing("1 + 2 = 3, 3 × 4 = 12.", QUESTION, CONFIG).ok


# --- repetition -----------------------------------------------------------------------------------------------


def test_natural_long_cot_passes() -> None:
    assert len(NATURAL_COT.split()) >= 3000
    markers = reflection_markers(NATURAL_COT)
    assert markers["wait"] >= 8 and markers["hmm"] >= 4 and markers["double_check"] >= 8
    assert check_repetition(NATURAL_COT, CONFIG) == FilterResult(True, "ok", "")
    assert run_filters(NATURAL_COT, "Final Answer: \\boxed{8}", QUESTION, CONFIG).ok


def test_looped_cot_fails_on_a_repeated_ngram() -> None:
    reasoning = _INTRO + "\n" + " ".join([LOOP_SENTENCE] * 9)
    result = check_repetition(reasoning, CONFIG)
    assert (result.ok, result.reason) == (False, "repetition")
    assert result.detail.startswith("12-gram '") and result.detail.endswith("repeated 9 times")


def test_a_sentence_repeated_six_times_is_within_the_limit() -> None:
    # Six copies: every 12-gram occurs at most 6 times, and six 22-word copies in the intro are under 30%.
    reasoning = _INTRO + "\n" + " ".join([LOOP_SENTENCE] * 6)
    assert check_repetition(reasoning, CONFIG).ok


def test_duplicate_ratio_catches_a_restated_solution() -> None:
    # Four copies of the whole solution: no 12-gram passes 6, but three quarters of the 12-grams are repeats.
    paragraph = " ".join(_MIDDLE.split())
    result = check_repetition("\n".join([paragraph] * 4), CONFIG)
    assert (result.ok, result.reason) == (False, "repetition")
    assert "of 12-grams are repeats" in result.detail
    assert check_repetition(NATURAL_COT + "\n" + paragraph, CONFIG).ok


def test_repeated_lines_fail_past_the_run_limit() -> None:
    assert check_repetition(_INTRO + "\nx = 5\n" * 4 + "So the answer is 5.", CONFIG).ok
    result = check_repetition(_INTRO + "\nx = 5\n" * 5 + "So the answer is 5.", CONFIG)
    assert (result.ok, result.reason) == (False, "repetition")
    assert result.detail == "line 'x = 5' repeated 5 times in a row"
    # Blank lines and indentation between copies do not hide a loop.
    assert not check_repetition("Let me check.\n\n  Let me check.\n" * 3, CONFIG).ok
    # Alternating lines are not a run.
    assert check_repetition("Let me check.\nOk.\n" * 5, CONFIG).ok


def test_short_texts_pass_repetition() -> None:
    assert check_repetition("", CONFIG).ok
    assert check_repetition("yes " * 35, CONFIG).ok  # fewer than three 12-grams' worth of words
    assert not check_repetition("yes " * 36, CONFIG).ok


def test_chinese_loops_are_seen_character_by_character() -> None:
    assert word_tokens("所以AB=5，Wait 한국어 단어") == ["所", "以", "ab", "5", "wait", "한국어", "단어"]
    loop = "等等，我再看一下角B的度数，角B是四十度，所以角C是五十度。" * 10
    result = check_repetition("如图所示。" + loop, CONFIG)
    assert (result.ok, result.reason) == (False, "repetition")


# --- refusal --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "answer",
    [
        "I'm sorry, but I can't see the image.",
        "I’m sorry, I can’t help with that.",  # curly apostrophes
        "As an AI, I do not have access to the figure.",
        "I cannot answer this question.",
        "I am unable to solve this without the figure.",
        "The length cannot be determined.",
        "Cannot determine.",
        "It is not possible to determine the angle.",
        "Insufficient information.",
        "The description does not provide the radius, so no answer.",
        "The image doesn't specify the scale.",
        "I apologize, the question is ambiguous.",
    ],
)
def test_refusal_answers_fail(answer: str) -> None:
    result = check_refusal(NATURAL_COT, answer)
    assert (result.ok, result.reason) == (False, "refusal")
    assert result.detail.startswith("answer says '")


def test_refusal_in_a_long_answer_text() -> None:
    summary = (
        "**Step 1.** The legs satisfy a^2 + b^2 = c^2. From condition (1) alone the value of a cannot be determined, "
        "so we combine it with (2). **Step 2.** Enumerating hypotenuses up to 25 gives eight triangles. " * 3
    )
    assert len(summary) > SHORT_TEXT_CHARS
    assert check_refusal(NATURAL_COT, summary + "Final Answer: \\boxed{8}").ok
    # Apologies and first-person refusals count wherever they are.
    assert not check_refusal(NATURAL_COT, summary + "I'm sorry, I made an error. Final Answer: 8").ok


@pytest.mark.parametrize(
    "answer",
    [
        "Final Answer: 8",
        "\\boxed{8}",
        "Hawaii can't be reached by car, but the answer is 8.",  # "i can't" inside a word
        "As an aide-memoire: 8.",
        "The length can be determined: 8.",
        "",
    ],
)
def test_normal_answers_pass(answer: str) -> None:
    assert check_refusal(NATURAL_COT, answer).ok


def test_cannot_inside_long_reasoning_passes() -> None:
    remark = (
        "We cannot have a < 0 because a is a length, and I cannot see why the image would allow it; the sign "
        "cannot be determined from the equation alone, but the geometry fixes it. As an aside, I'm sorry to say "
        "there is no shortcut here."
    )
    reasoning = _INTRO + remark + _MIDDLE
    assert check_refusal(reasoning, "Final Answer: 8").ok
    assert run_filters(reasoning, "Final Answer: 8", QUESTION, CONFIG).ok


def test_short_reasoning_refusal_fails() -> None:
    reasoning = "The description does not provide the lengths of the sides, so I cannot compute the area. " * 2
    assert len(reasoning) < SHORT_TEXT_CHARS
    result = check_refusal(reasoning, "Final Answer: 12")
    assert (result.ok, result.reason) == (False, "refusal")
    assert result.detail == "short reasoning says 'The description does not provide'"


# --- all rules ------------------------------------------------------------------------------------------------


def test_run_filters_reports_the_first_failure_in_order() -> None:
    refusing = "I'm sorry, I cannot do this."
    assert run_filters(refusing, "8", QUESTION, CONFIG).reason == "too_short"
    looped_mixed = _INTRO + " ".join([LOOP_SENTENCE] * 20) + "所以答案是八" * 100
    assert run_filters(looped_mixed, "I cannot tell.", QUESTION, CONFIG).reason == "refusal"
    assert run_filters(looped_mixed, "8", QUESTION, CONFIG).reason == "language_mixing"
    assert run_filters(looped_mixed, "8", "所以答案是多少？", CONFIG).reason == "repetition"
    assert run_filters(NATURAL_COT, "8", QUESTION, FilterConfig(max_reasoning_chars=1000)).reason == "too_long"


# --- description -> image -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "rewritten", "count"),
    [
        ("From the description, AB = 5.", "From the image, AB = 5.", 1),
        ("according to the description, the angle is 30°", "according to the image, the angle is 30°", 1),
        ("The description says the angle is 30°.", "The image shows the angle is 30°.", 1),
        ("the description states that AB = BC", "the image shows that AB = BC", 1),
        ("The description mentions two circles.", "The image shows two circles.", 1),
        ("so the description shows a square", "so the image shows a square", 1),
        ("the description said it was a square", "the image showed it was a square", 1),
        ("Using the given description, AB = 5.", "Using the image, AB = 5.", 1),
        ("The provided description has a circle.", "The image has a circle.", 1),
        ("In the image description, O is the center.", "In the image, O is the center.", 1),
        ("The image description says O is the center.", "The image shows O is the center.", 1),
        ("the point described in the description", "the point shown in the image", 1),
        ("the lengths in the description provided", "the lengths in the image provided", 1),
        ("Wait. The description: AB = 5.", "Wait. The image: AB = 5.", 1),
        ("THE DESCRIPTION SAYS AB = 5", "THE IMAGE SHOWS AB = 5", 1),
        ("the   description", "the image", 1),
        ("the description's labels", "the image's labels", 1),
        (
            "The description says AB = 5. From the description, BC = 12. So the given description implies AC = 13.",
            "The image shows AB = 5. From the image, BC = 12. So the image implies AC = 13.",
            3,
        ),
        # Other senses of the word stay.
        ("the descriptions of the sets A and B", "the descriptions of the sets A and B", 0),
        ("a description of the locus", "a description of the locus", 0),
        ("this description is vague", "this description is vague", 0),
        ("bathe description", "bathe description", 0),
        ("the\ndescription", "the\ndescription", 0),
        ("", "", 0),
    ],
)
def test_rewrite_description_references(text: str, rewritten: str, count: int) -> None:
    assert rewrite_description_references(text) == (rewritten, count)


# --- self-reflection statistics -------------------------------------------------------------------------------


def test_reflection_markers() -> None:
    text = (
        "Wait, that is wrong. wait... WAIT! I was waiting; it awaits. Hmm, hmmm, HMMMM. hm. hmmx. "
        "Let me double-check. Double check again, double-checking, doublecheck, double-checked. double checks"
    )
    assert reflection_markers(text) == {"wait": 3, "hmm": 3, "double_check": 6}
    assert reflection_markers("") == {"wait": 0, "hmm": 0, "double_check": 0}


# --- linear time ----------------------------------------------------------------------------------------------

_N = 200_000
_ADVERSARIAL = {
    "spaces": " " * _N,
    "newlines": "\n" * _N,
    "one_letter": "a" * _N,
    "one_word": "ab " * (_N // 3),
    "distinct_words": " ".join(str(number) for number in range(_N // 6)),
    "cjk": "中" * _N,
    "mixed_scripts": "a中жπ𝑥" * (_N // 5),
    "every_char": "".join(chr(code) for code in range(0x20, 0x32000) if not 0xD800 <= code < 0xE000)[:_N],
    "the_spaces": "the" + " " * _N + "x",
    "the_descriptions": "the description " * (_N // 16),
    "described": "described in the " * (_N // 17),
    "the_image": "the image " * (_N // 10),
    "i_spaces": "I" + " " * _N + "x",
    "cannot_be": "cannot be " * (_N // 10),
    "sorry": "i'm " * (_N // 4),
    "hmm_run": "h" + "m" * _N + "x",
    "double": "double " * (_N // 7),
    "wait_glued": "wait" * (_N // 4),
    "lines": "same line\n" * (_N // 10),
}


# What the checks say about each input: (check_length, check_repetition, check_language_mixing with no question,
# run_filters with the text as its own question and answer).
_VERDICTS = {
    "spaces": ("too_short", "ok", "ok", "too_short"),
    "newlines": ("too_short", "ok", "ok", "too_short"),
    "one_letter": ("ok", "ok", "ok", "ok"),
    "one_word": ("ok", "repetition", "ok", "repetition"),
    "distinct_words": ("ok", "ok", "ok", "ok"),
    "cjk": ("ok", "repetition", "language_mixing", "repetition"),
    "mixed_scripts": ("ok", "repetition", "language_mixing", "repetition"),
    "every_char": ("ok", "ok", "language_mixing", "ok"),
    "the_spaces": ("ok", "ok", "ok", "ok"),
    "the_descriptions": ("ok", "repetition", "ok", "repetition"),
    "described": ("ok", "repetition", "ok", "repetition"),
    "the_image": ("ok", "repetition", "ok", "repetition"),
    "i_spaces": ("ok", "ok", "ok", "ok"),
    "cannot_be": ("ok", "repetition", "ok", "repetition"),
    "sorry": ("ok", "repetition", "ok", "repetition"),
    "hmm_run": ("ok", "ok", "ok", "ok"),
    "double": ("ok", "repetition", "ok", "repetition"),
    "wait_glued": ("ok", "ok", "ok", "ok"),
    "lines": ("ok", "repetition", "ok", "repetition"),
}


@pytest.mark.timeout(30)
@pytest.mark.parametrize("name", sorted(_ADVERSARIAL))
def test_every_check_is_linear(name: str) -> None:
    text = _ADVERSARIAL[name]
    length, repetition, mixing, first_failure = _VERDICTS[name]
    assert len(text) >= _N * 0.9
    assert check_length(text, HUGE).reason == length
    assert check_language_mixing(text, text, HUGE).ok  # the question's own scripts are never mixing
    assert check_language_mixing(text, "", HUGE).reason == mixing
    assert check_repetition(text, HUGE).reason == repetition
    assert check_refusal(text, text).ok  # "cannot be" and "i'm" alone refuse nothing
    assert run_filters(text, text, text, HUGE).reason == first_failure
    assert rewrite_description_references(text)[1] == (_N // 16 if name == "the_descriptions" else 0)
    # Near misses ("waitwait", "hmmm...x", "double double") are no reflection markers.
    assert reflection_markers(text) == {"wait": 0, "hmm": 0, "double_check": 0}
