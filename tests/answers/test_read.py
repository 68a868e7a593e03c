"""The reader: what it reads an answer into, and what it refuses, naming the part it could not read."""

from __future__ import annotations

import pytest

from vision_r1_plugins.answers import plain_answer, read_answer


def _values(text: str) -> list[tuple]:
    reading = read_answer(text)
    assert reading.complete, (text, reading.describe_unaccounted())
    return [(value.kind, value.text.replace(" ", ""), value.unit) for value in reading.values]


@pytest.mark.parametrize(
    ("text", "values"),
    [
        ("5", [("number", "5", None)]),
        (" Final Answer: 7 ", [("number", "7", None)]),
        ("**Final Answer:** $\\frac{1}{2}$", [("number", "\\frac{1}{2}", None)]),
        ("The answer is $\\boxed{12}$ cm.", [("number", "12", "centimeter")]),
        ("$$x = 5$$", [("number", "5", None)]),
        ("\\[ 2\\sqrt{3} \\]", [("number", "2\\cdot\\sqrt{3}", None)]),
        ("-\\boxed{5}", [("number", "-5", None)]),
        ("\\boxed{5}^2", [("number", "5^2", None)]),
        ("\\boxed{5} \\boxed{6}", [("number", "5", None), ("number", "6", None)]),
        ("2\\boxed{5}", [("number", "2", None), ("number", "5", None)]),  # glued: two values, never 25 or 10
        ("$5$ $6$", [("number", "5", None), ("number", "6", None)]),
        ("5 \\quad 6", [("number", "5", None), ("number", "6", None)]),
        ("4 \\sqrt{2}", [("number", "4\\cdot\\sqrt{2}", None)]),  # a product, not two values
        ("1,000", [("number", "1000", None)]),
        ("1\\,000", [("number", "1000", None)]),
        ("12 000", [("number", "12000", None)]),
        ("\\frac{3}{4} (0.75)", [("number", "\\frac{3}{4}", None), ("number", "0.75", None)]),
        ("5 (five)", [("number", "5", None), ("number", "5", None)]),
        ("twenty-one", [("number", "21", None)]),
        ("one hundred and five", [("number", "105", None)]),
        ("two thirds", [("number", "\\frac{2}{3}", None)]),
        ("五", [("number", "5", None)]),
        ("十二", [("number", "12", None)]),
        ("0.333...", [("number", "\\frac{1}{3}", None)]),
        ("0.1666...", [("number", "\\frac{1}{6}", None)]),
        ("0.\\overline{3}", [("number", "\\frac{1}{3}", None)]),
        ("3\\frac{1}{2}", [("number", "3+\\frac{1}{2}", None)]),  # a mixed number
        ("12 cm^2", [("number", "12", "centimeter ** 2")]),
        ("12 square centimeters", [("number", "12", "centimeter ** 2")]),
        ("12\\,\\text{cm}^2", [("number", "12", "centimeter ** 2")]),
        ("5 km/h", [("number", "5", "kilometer / hour")]),
        ("5 meters per second", [("number", "5", "meter / second")]),
        ("30^\\circ", [("number", "30", "degree")]),
        ("-3 °C", [("number", "-3", "degree_Celsius")]),
        ("50\\%", [("number", "50", "percent")]),
        ("12 square units", [("number", "12", "units")]),
        ("5 triangles", [("number", "5", "units")]),
        ("$12", [("number", "12", "dollar")]),
        ("12 dollars", [("number", "12", "dollar")]),
        ("面积是12平方厘米", [("number", "12", "centimeter ** 2")]),
        ("x = 5", [("number", "5", None)]),
        ("5 = x", [("number", "5", None)]),
        ("AB = BC = 5", [("number", "5", None)]),
        ("\\angle ABC = 30^\\circ", [("number", "30", "degree")]),
        ("The length of $AB$ is $5$.", [("number", "5", None)]),
        ("It's 5.", [("number", "5", None)]),
        ("C", [("letter", "C", None)]),
        ("(C)", [("letter", "C", None)]),
        ("故选B", [("letter", "B", None)]),
        ("选项(C)正确。", [("letter", "C", None)]),
        ("Option C", [("letter", "C", None)]),
        ("Yes, it is.", [("yes_no", "yes", None)]),
        ("No, they are not parallel.", [("yes_no", "no", None)]),
        ("True/False", [("yes_no", "yes", None), ("yes_no", "no", None)]),
        ("an isosceles triangle", [("word", "anisoscelestriangle", None)]),
        ("(1, 2)", [("tuple", "(1,2)", None)]),
        ("[0, 1)", [("tuple", "[0,1)", None)]),
        ("x \\le 5", [("relation", "x\\le5", None)]),
        ("3:4", [("ratio", "3:4", None)]),
        ("\\angle A = 30^\\circ, so C", [("letter", "C", None)]),  # a premise, then the answer
        ("\\begin{cases} x=5 \\\\ x=6 \\end{cases}", [("number", "5", None), ("number", "6", None)]),
        ("x = 5\nThe answer is 5", [("number", "5", None), ("number", "5", None)]),
    ],
)
def test_what_an_answer_states(text: str, values: list[tuple]) -> None:
    assert _values(text) == values


@pytest.mark.parametrize(
    ("text", "unread"),
    [
        ("5 ⟶ 6", "⟶"),
        ("5 \\to 6", "\\to"),
        ("5̶", "\u0336"),  # a combining mark on a value
        ("5ish", "ish"),
        ("5, probably", "probably"),
        ("probably 5", "probably"),
        ("5 apples and bananas", "bananas"),
        ("I think it's 5", "I think"),
        ("The likely answer is 5", "The likely"),
        ("\\color{white}{6} 5", "\\color"),
        ("\\phantom{6} 5", "\\phantom"),
        ("~~5~~", "~~"),
        ("5 oder 6", "oder"),
        ("5 или 6", "или"),
        ("A to D", "to"),
        ("5, since AB = BC", "since"),
        ("maybe 5, so 6", "maybe"),
        ("not C", "not"),
        ("The answer would be 5", "would"),
        ("5" + "".join(chr(0xE0000 + ord(char)) for char in " or 6"), chr(0xE0020)),  # tag characters
    ],
)
def test_what_the_language_does_not_have_is_named(text: str, unread: str) -> None:
    reading = read_answer(text)
    assert not reading.complete and reading.unaccounted is not None
    assert reading.unaccounted.text.startswith(unread), reading.describe_unaccounted()
    assert reading.why


def test_an_unfinished_answer_is_unaccounted_at_its_end() -> None:
    reading = read_answer("5 +")
    assert reading.unaccounted is not None and reading.unaccounted.start == len(reading.text)
    assert "(the end of the answer)" in reading.describe_unaccounted()


def test_invisible_format_characters_are_dropped_and_empty_answers_state_nothing() -> None:
    assert _values("5\u200b") == [("number", "5", None)]
    assert _values("\u200bYes") == [("yes_no", "yes", None)]
    reading = read_answer("\u200b \u2060")
    assert not reading.complete and reading.unaccounted is None and not reading.values


def test_spans_name_the_wrappers() -> None:
    reading = read_answer("$\\boxed{12}$")
    assert {span.text for span in reading.spans if span.role == "wrapper"} == {"$", "\\boxed{", "}"}


@pytest.mark.parametrize(
    ("raw", "plain"),
    [
        ("The answer is $\\boxed{12}$ cm.", "12 cm"),
        ("**Answer:** C", "C"),
        ("x = \\boxed{5}", "x = 5"),
        ("\\text{(B) } 8/11", "(B) 8/11"),
        ("$\\frac{1}{2}$ and more", "\\frac{1}{2} and more"),  # not readable: only its wrappers go
    ],
)
def test_plain_answer(raw: str, plain: str) -> None:
    assert plain_answer(raw) == plain


def test_long_answers_are_not_read() -> None:
    reading = read_answer("5 " * 2000)
    assert not reading.complete and "longer than" in reading.why
