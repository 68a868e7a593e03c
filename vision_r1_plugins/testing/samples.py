"""Small multimodal math problems with gold answers computed by code, for the demo, tests and quick evaluations.

Every row serves the project's two problem layouts at once:

* geometry3k style, read by ``bridge`` and ``rl-data``: ``id``, ``images`` (paths relative to the JSONL file),
  ``problem`` (one ``<image>`` marker, then the question), ``answer`` and ``choices`` (option texts, or null);
* MathVista style, for evaluation: ``question_type`` (``multi_choice`` / ``free_form``), ``answer_type``
  (``integer`` / ``float`` / ``text``), ``precision`` (decimal places of float answers), ``category`` and
  ``query`` (the question as the model sees it, with MathVista's hint and the options as ``(A) ..``).

A multiple-choice gold answer is the option letter (``"C"``), which indexes ``choices``.

>>> from vision_r1_plugins.testing.samples import generate_sample_problems
>>> generate_sample_problems("/tmp/problems", count=36, seed=0)  # doctest: +SKIP
PosixPath('/tmp/problems/problems.jsonl')

Images are drawn with Pillow alone, and their text with Pillow's built-in bitmap font scaled up without
smoothing: FreeType or matplotlib rendering shifts pixels between library builds, and the bundled copy in
``data/samples/problems`` is checked against a fresh generation pixel for pixel.
"""

from __future__ import annotations

import io
import json
import math
import random
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from vision_r1_plugins.core.resources import shipped_root

if TYPE_CHECKING:
    from PIL import Image as PILImage

# The bundled copy is data/samples/problems (read through core.resources); regenerate it with `python -m` here.
BUNDLED_PROBLEMS = shipped_root() / "data" / "samples" / "problems"
BUNDLED_COUNT = 36
BUNDLED_SEED = 0

ID_PREFIXES = {"geometry": "geo", "chart": "chart", "counting": "count"}
LETTERS = "ABCD"
_STALE_IMAGE = re.compile(r"(?:geo|chart|count)-\d{3,}\.png")

INK = (20, 20, 20)
WHITE = (255, 255, 255)
FILL = (214, 230, 248)
BAR = (60, 110, 190)
# Named, because counting questions ask for a colour by name.
SHAPE_COLORS = {"red": (215, 48, 39), "blue": (40, 100, 200), "green": (30, 150, 60), "orange": (240, 150, 20)}
PIE_COLORS = ((60, 110, 190), (230, 120, 30), (50, 160, 80), (200, 50, 60), (140, 90, 180))
BAR_LABELS = (("Mon", "Tue", "Wed", "Thu", "Fri"), ("Ann", "Ben", "Cara", "Dev", "Eli"), ("Oak", "Pine", "Elm", "Ash"))
PIE_LABELS = ("Tea", "Milk", "Juice", "Soda", "Water", "Cocoa")
TEXT_SCALE = 2  # the bitmap font is 11 px tall: doubled it reads clearly at these image sizes

_HINTS = {
    "multi_choice": "Please answer the question and provide the correct option letter, e.g., A, B, C, D, at the end.",
    "integer": "Please answer the question requiring an integer answer and provide the final value, e.g., 1, 2, 3, "
    "at the end.",
    1: "Please answer the question requiring a floating-point number with one decimal place and provide the final "
    "value, e.g., 1.2, 1.3, 1.4, at the end.",
    2: "Please answer the question requiring a floating-point number with two decimal places and provide the final "
    "value, e.g., 1.23, 1.34, 1.45, at the end.",
    "text": "Please answer the question and provide the final answer at the end.",
}


@dataclass(frozen=True)
class _Problem:
    category: str
    question: str
    answer: str
    answer_type: str  # "integer" | "float" | "text"
    image: PILImage.Image
    choices: tuple[str, ...] | None = None
    precision: int | None = None


# ---------------------------------------------------------------------------------------------------------
# Drawing


@cache
def _font() -> Any:
    from PIL import ImageFont

    return ImageFont.load_default_imagefont()


def _canvas(width: int, height: int) -> tuple[PILImage.Image, Any]:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (width, height), WHITE)
    return image, ImageDraw.Draw(image)


def _text(draw: Any, xy: tuple[float, float], text: str, anchor: str = "mm", fill: tuple[int, int, int] = INK) -> None:
    """Draw ``text`` scaled up; ``anchor`` is horizontal (l/m/r) then vertical (t/m/b), as in Pillow."""
    from PIL import Image, ImageDraw

    font = _font()
    # One line height for every label, so labels side by side share a baseline whatever their letters.
    width, height = max(font.getbbox(text)[2], 1), font.getbbox("Ag|")[3]
    mask = Image.new("1", (width, height), 0)
    ImageDraw.Draw(mask).text((0, 0), text, font=font, fill=1)
    mask = mask.resize((width * TEXT_SCALE, height * TEXT_SCALE), Image.Resampling.NEAREST)
    x = xy[0] - {"l": 0, "m": mask.width / 2, "r": mask.width}[anchor[0]]
    y = xy[1] - {"t": 0, "m": mask.height / 2, "b": mask.height}[anchor[1]]
    draw.bitmap((round(x), round(y)), mask, fill=fill)


def _png_bytes(image: PILImage.Image) -> bytes:
    from PIL import Image

    # Nothing is anti-aliased, so the few flat colours fit a palette exactly, and palette PNGs are far smaller.
    if len(image.getcolors(256) or ()) == 0:
        raise ValueError("a sample image has more than 256 colours; it would not be stored exactly")
    buffer = io.BytesIO()
    image.convert("P", palette=Image.Palette.ADAPTIVE, colors=256).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


# ---------------------------------------------------------------------------------------------------------
# Answers


def _surd(square: int) -> tuple[int, int]:
    """``sqrt(square)`` as ``(k, m)`` with ``k * sqrt(m)`` and ``m`` square-free."""
    k, m = 1, square
    factor = 2
    while factor * factor <= m:
        while m % (factor * factor) == 0:
            m //= factor * factor
            k *= factor
        factor += 1
    return k, m


def _surd_text(square: int) -> str:
    k, m = _surd(square)
    if m == 1:
        return str(k)
    return f"\\sqrt{{{m}}}" if k == 1 else f"{k}\\sqrt{{{m}}}"


def _pi_text(coefficient: int) -> str:
    return "\\pi" if coefficient == 1 else f"{coefficient}\\pi"


def _tenths(value: int) -> str:
    return f"{value // 10}.{value % 10}"


def _multiple_choice(
    rng: random.Random, correct: str, wrong: list[str], ordered: bool = False
) -> tuple[list[str], str]:
    """Four options (the correct one and three of ``wrong``) and the correct letter."""
    distinct = [option for option in dict.fromkeys(wrong) if option != correct]
    if len(distinct) < 3:
        raise ValueError(f"need three distractors for {correct!r}, got {distinct}")
    options = [correct, *rng.sample(distinct, 3)]
    if ordered:
        # Numeric options read naturally in order; that leaves where the answer lands to the distractors drawn.
        options.sort(key=float)
    else:
        rng.shuffle(options)
    return options, LETTERS[options.index(correct)]


# ---------------------------------------------------------------------------------------------------------
# Geometry


def _right_triangle(rng: random.Random, multiple_choice: bool = False) -> _Problem:
    if rng.random() < 1 / 3:
        a, b = rng.choice(((3, 4), (6, 8), (5, 12), (9, 12), (8, 6), (4, 3), (12, 9)))
    else:
        # Otherwise a radical answer: random legs rarely make a Pythagorean triple, so radicals would dominate
        # anyway, and the triples above keep integer answers in the mix.
        while True:
            a, b = rng.randint(2, 12), rng.randint(2, 12)
            if max(a, b) <= 2.5 * min(a, b) and math.isqrt(a * a + b * b) ** 2 != a * a + b * b:
                break
    square = a * a + b * b
    image, draw = _canvas(300, 240)
    scale = min(190 / b, 150 / a)
    corner = (70, 200)
    right = (corner[0] + b * scale, corner[1])
    top = (corner[0], corner[1] - a * scale)
    draw.polygon([corner, right, top], fill=FILL, outline=INK, width=3)
    draw.rectangle((corner[0], corner[1] - 14, corner[0] + 14, corner[1]), outline=INK, width=2)
    _text(draw, (corner[0] - 10, (corner[1] + top[1]) / 2), str(a), "rm")
    _text(draw, ((corner[0] + right[0]) / 2, corner[1] + 8), str(b), "mt")
    middle = ((right[0] + top[0]) / 2, (right[1] + top[1]) / 2)
    # Outward from the right angle, so the label sits beside the hypotenuse rather than inside the triangle.
    dx, dy = middle[0] - corner[0], middle[1] - corner[1]
    norm = math.hypot(dx, dy)
    _text(draw, (middle[0] + 22 * dx / norm, middle[1] + 22 * dy / norm), "x")
    question = "Find x, the length of the hypotenuse of the right triangle."
    answer = _surd_text(square)
    if multiple_choice:
        # The usual slips: adding the legs, subtracting their squares, and near misses of the right square.
        squares = ((a + b) ** 2, abs(a * a - b * b), square + a, square - b, 2 * square)
        choices, letter = _multiple_choice(rng, answer, [_surd_text(value) for value in squares if value > 0])
        return _Problem("geometry", question, letter, "text", image, tuple(choices))
    if "sqrt" in answer:
        return _Problem("geometry", f"{question} Give the exact value in simplest radical form.", answer, "text", image)
    return _Problem("geometry", question, answer, "integer", image)


def _isosceles(rng: random.Random, multiple_choice: bool = False) -> _Problem:
    # Between 24 and 110 degrees the base-angle label fits inside the triangle, clear of both slanted sides.
    apex = 2 * rng.randint(12, 55)
    base = (180 - apex) // 2
    image, draw = _canvas(300, 240)
    half = math.radians(apex / 2)
    side = min(120 / math.sin(half), 150 / math.cos(half))
    top = (150, (240 - side * math.cos(half)) / 2 + 10)  # centred, with room above for the apex label
    left = (150 - side * math.sin(half), top[1] + side * math.cos(half))
    right = (150 + side * math.sin(half), left[1])
    draw.polygon([top, left, right], fill=FILL, outline=INK, width=3)
    # Tick marks on the two equal sides: the figure itself says which sides are equal.
    for end in (left, right):
        mx, my = (top[0] + end[0]) / 2, (top[1] + end[1]) / 2
        nx, ny = (end[1] - top[1]) / side, -(end[0] - top[0]) / side
        draw.line((mx - 7 * nx, my - 7 * ny, mx + 7 * nx, my + 7 * ny), fill=INK, width=2)
    draw.arc((top[0] - 18, top[1] - 18, top[0] + 18, top[1] + 18), 90 - apex / 2, 90 + apex / 2, fill=INK, width=2)
    draw.arc((left[0] - 16, left[1] - 16, left[0] + 16, left[1] + 16), 360 - base, 360, fill=INK, width=2)
    _text(draw, (top[0], top[1] - 6), f"{apex}°", "mb")
    # Far enough along the base that the 22 px tall label clears the sloping side above it.
    along = max(14.0, 36 / math.tan(math.radians(base)))
    _text(draw, (left[0] + along, left[1] - 4), "x°", "lb")
    question = "The triangle is isosceles and its apex angle is shown. Find x, the measure of a base angle in degrees."
    if multiple_choice:
        wrong = [str(value) for value in (apex, 180 - apex, 180 - 2 * apex, base + 10, base - 10, base + 20)]
        wrong = [option for option in wrong if 0 < int(option) < 180]
        choices, letter = _multiple_choice(rng, str(base), wrong, ordered=True)
        return _Problem("geometry", question, letter, "text", image, tuple(choices))
    return _Problem("geometry", question, str(base), "integer", image)


def _circle_figure(radius: int) -> PILImage.Image:
    image, draw = _canvas(240, 240)
    center, drawn = (120, 120), 92
    draw.ellipse(
        (center[0] - drawn, center[1] - drawn, center[0] + drawn, center[1] + drawn), fill=FILL, outline=INK, width=3
    )
    draw.line((center[0], center[1], center[0] + drawn, center[1]), fill=INK, width=2)
    draw.ellipse((center[0] - 4, center[1] - 4, center[0] + 4, center[1] + 4), fill=INK)
    _text(draw, (center[0] + drawn / 2, center[1] - 6), str(radius), "mb")
    return image


def _circle(rng: random.Random, multiple_choice: bool = False) -> _Problem:
    radius = rng.randint(2, 12)
    image = _circle_figure(radius)
    if multiple_choice:
        question = "The radius of the circle is shown. What is the area of the circle?"
        wrong = [_pi_text(value) for value in (2 * radius, radius, 4 * radius * radius, 2 * radius * radius)]
        choices, letter = _multiple_choice(rng, _pi_text(radius * radius), wrong)
        return _Problem("geometry", question, letter, "text", image, tuple(choices))
    if rng.random() < 0.5:
        question = "The radius of the circle is shown. Find the area of the circle. Give the exact value in terms of π."
        return _Problem("geometry", question, _pi_text(radius * radius), "text", image)
    question = (
        "The radius of the circle is shown. Find the circumference of the circle. Give the exact value in terms of π."
    )
    return _Problem("geometry", question, _pi_text(2 * radius), "text", image)


def _circle_rounded(rng: random.Random) -> _Problem:
    radius = rng.randint(2, 12)
    image = _circle_figure(radius)
    if rng.random() < 0.5:
        question = "The radius of the circle is shown. Find the area of the circle. Round to two decimal places."
        return _Problem("geometry", question, f"{math.pi * radius * radius:.2f}", "float", image, precision=2)
    question = "The radius of the circle is shown. Find the circumference of the circle. Round to one decimal place."
    return _Problem("geometry", question, f"{2 * math.pi * radius:.1f}", "float", image, precision=1)


def _rectangle_figure(width: float, height: float, width_label: str, height_label: str) -> PILImage.Image:
    image, draw = _canvas(300, 220)
    scale = min(200 / width, 130 / height)
    x0, y0 = (300 - 40 - width * scale) / 2, (220 - height * scale) / 2 - 10
    x1, y1 = x0 + width * scale, y0 + height * scale
    draw.rectangle((x0, y0, x1, y1), fill=FILL, outline=INK, width=3)
    _text(draw, ((x0 + x1) / 2, y1 + 8), width_label, "mt")
    _text(draw, (x1 + 8, (y0 + y1) / 2), height_label, "lm")
    return image


def _rectangle(rng: random.Random) -> _Problem:
    width, height = rng.sample(range(3, 16), 2)
    image = _rectangle_figure(width, height, str(width), str(height))
    if rng.random() < 0.5:
        question = "The side lengths of the rectangle are shown. What is its perimeter?"
        return _Problem("geometry", question, str(2 * (width + height)), "integer", image)
    question = "The side lengths of the rectangle are shown. What is its area?"
    return _Problem("geometry", question, str(width * height), "integer", image)


def _rectangle_decimal(rng: random.Random) -> _Problem:
    # Lengths in tenths, so the answers are exact decimals rather than rounded binary floats.
    width, height = rng.sample([value for value in range(21, 130) if value % 10], 2)
    image = _rectangle_figure(width, height, _tenths(width), _tenths(height))
    if rng.random() < 0.5:
        question = (
            "The side lengths of the rectangle are shown. What is its perimeter? Give the value to one decimal place."
        )
        return _Problem("geometry", question, _tenths(2 * (width + height)), "float", image, precision=1)
    area = width * height
    question = "The side lengths of the rectangle are shown. What is its area? Give the value to two decimal places."
    return _Problem("geometry", question, f"{area // 100}.{area % 100:02d}", "float", image, precision=2)


# ---------------------------------------------------------------------------------------------------------
# Charts


def _bar_figure(labels: list[str], values: list[int], value_labels: list[str]) -> PILImage.Image:
    image, draw = _canvas(320, 240)
    baseline, tallest = 196, 150
    slot = 280 / len(labels)
    draw.line((16, baseline, 304, baseline), fill=INK, width=2)
    for index, (label, value, shown) in enumerate(zip(labels, values, value_labels, strict=True)):
        center = 20 + slot * (index + 0.5)
        top = baseline - tallest * value / max(values)
        draw.rectangle((center - 17, top, center + 17, baseline - 1), fill=BAR)
        _text(draw, (center, top - 4), shown, "mb")
        _text(draw, (center, baseline + 6), label, "mt")
    return image


def _bar_chart(rng: random.Random) -> _Problem:
    labels = list(rng.choice(BAR_LABELS))
    labels = labels[: rng.randint(3, len(labels))]
    values = rng.sample(range(5, 96), len(labels))
    image = _bar_figure(labels, values, [str(value) for value in values])
    kind = rng.choice(("max", "difference", "sum"))
    if kind == "max":
        question = "What is the largest value shown in the bar chart?"
        return _Problem("chart", question, str(max(values)), "integer", image)
    if kind == "sum":
        question = "What is the sum of all the values shown in the bar chart?"
        return _Problem("chart", question, str(sum(values)), "integer", image)
    first, second = sorted(rng.sample(range(len(labels)), 2), key=lambda index: -values[index])
    question = f"By how much does the value of {labels[first]} exceed the value of {labels[second]}?"
    return _Problem("chart", question, str(values[first] - values[second]), "integer", image)


def _bar_chart_decimal(rng: random.Random) -> _Problem:
    labels = list(rng.choice(BAR_LABELS))[:4]
    values = rng.sample([value for value in range(25, 960) if value % 10], 4)  # tenths
    image = _bar_figure(labels, values, [_tenths(value) for value in values])
    first, second = sorted(rng.sample(range(4), 2), key=lambda index: -values[index])
    question = (
        f"What is the difference between the values of {labels[first]} and {labels[second]}? "
        "Give the value to one decimal place."
    )
    return _Problem("chart", question, _tenths(values[first] - values[second]), "float", image, precision=1)


def _pie_shares(rng: random.Random, slices: int) -> list[int]:
    """Percentages in steps of 5 that add up to 100, with one clear largest share."""
    while True:
        cuts = sorted(rng.sample(range(1, 20), slices - 1))
        shares = [5 * (high - low) for low, high in zip([0, *cuts], [*cuts, 20], strict=True)]
        if shares.count(max(shares)) == 1:
            return shares


def _pie_figure(labels: list[str], shares: list[int]) -> PILImage.Image:
    image, draw = _canvas(320, 220)
    center, radius = (92, 110), 80
    start = -90.0  # from twelve o'clock, clockwise, as charts are usually read
    for index, share in enumerate(shares):
        end = start + 3.6 * share
        box = (center[0] - radius, center[1] - radius, center[0] + radius, center[1] + radius)
        draw.pieslice(box, start, end, fill=PIE_COLORS[index], outline=WHITE, width=2)
        start = end
    top = 110 - 15 * len(labels)
    for index, (label, share) in enumerate(zip(labels, shares, strict=True)):
        y = top + 30 * index + 15
        draw.rectangle((186, y - 7, 200, y + 7), fill=PIE_COLORS[index])
        _text(draw, (206, y), f"{label} {share}%", "lm")
    return image


def _pie_chart(rng: random.Random, multiple_choice: bool = False) -> _Problem:
    slices = rng.randint(4, 5) if multiple_choice else rng.randint(3, 5)
    labels = rng.sample(PIE_LABELS, slices)
    shares = _pie_shares(rng, slices)
    image = _pie_figure(labels, shares)
    largest = labels[shares.index(max(shares))]
    question = "Which category has the largest share in the pie chart?"
    if multiple_choice:
        choices, letter = _multiple_choice(rng, largest, [label for label in labels if label != largest])
        return _Problem("chart", question, letter, "text", image, tuple(choices))
    if rng.random() < 0.3:
        index = rng.randrange(slices)
        question = f"What percentage of the pie chart does {labels[index]} account for?"
        return _Problem("chart", question, str(shares[index]), "integer", image)
    return _Problem("chart", question, largest, "text", image)


# ---------------------------------------------------------------------------------------------------------
# Counting


def _counting(rng: random.Random, multiple_choice: bool = False) -> _Problem:
    image, draw = _canvas(260, 260)
    total = rng.randint(3, 12)
    shapes = []
    for cell in rng.sample(range(25), total):  # one shape per cell of a 5x5 grid: shapes never overlap
        size = rng.randint(28, 40)
        x = 52 * (cell % 5) + rng.randint(0, 50 - size) + 1
        y = 52 * (cell // 5) + rng.randint(0, 50 - size) + 1
        kind, color = rng.choice(("circle", "square", "triangle")), rng.choice(list(SHAPE_COLORS))
        box = (x, y, x + size, y + size)
        if kind == "circle":
            draw.ellipse(box, fill=SHAPE_COLORS[color])
        elif kind == "square":
            draw.rectangle(box, fill=SHAPE_COLORS[color])
        else:
            draw.polygon([(x + size / 2, y), (x + size, y + size), (x, y + size)], fill=SHAPE_COLORS[color])
        shapes.append((kind, color))
    asked = rng.choice(("all", "color", "kind"))
    if asked == "color":
        color = rng.choice([color for _, color in shapes])
        question, answer = f"How many {color} shapes are there in the image?", sum(c == color for _, c in shapes)
    elif asked == "kind":
        kind = rng.choice([kind for kind, _ in shapes])
        question, answer = f"How many {kind}s are there in the image?", sum(k == kind for k, _ in shapes)
    else:
        question, answer = "How many shapes are there in the image in total?", total
    if multiple_choice:
        wrong = [str(value) for value in range(answer - 3, answer + 4) if value > 0]
        choices, letter = _multiple_choice(rng, str(answer), wrong, ordered=True)
        return _Problem("counting", question, letter, "text", image, tuple(choices))
    return _Problem("counting", question, str(answer), "integer", image)


def _mc(family: Callable[..., _Problem]) -> Callable[[random.Random], _Problem]:
    return lambda rng: family(rng, multiple_choice=True)


# Rows take these in turn, categories interleaved, so any dozen-odd rows cover every family and count=36
# covers each at least twice.
FAMILIES: tuple[tuple[str, Callable[[random.Random], _Problem]], ...] = (
    ("right_triangle", _right_triangle),
    ("bar_chart", _bar_chart),
    ("counting", _counting),
    ("isosceles", _isosceles),
    ("pie_chart", _pie_chart),
    ("circle", _circle),
    ("rectangle", _rectangle),
    ("counting_mc", _mc(_counting)),
    ("right_triangle_mc", _mc(_right_triangle)),
    ("bar_chart_decimal", _bar_chart_decimal),
    ("circle_mc", _mc(_circle)),
    ("isosceles_mc", _mc(_isosceles)),
    ("pie_chart_mc", _mc(_pie_chart)),
    ("circle_rounded", _circle_rounded),
    ("rectangle_decimal", _rectangle_decimal),
)


def family_of(index: int) -> str:
    """The family of the row at ``index`` (0-based)."""
    return FAMILIES[index % len(FAMILIES)][0]


# ---------------------------------------------------------------------------------------------------------
# Rows


def query_text(question: str, question_type: str, answer_type: str, precision: int | None, choices: Any) -> str:
    """The question as MathVista's evaluation prompts it: a hint on the answer's form, then the question."""
    if question_type == "multi_choice":
        options = "\n".join(f"({LETTERS[index]}) {option}" for index, option in enumerate(choices))
        return f"Hint: {_HINTS['multi_choice']}\nQuestion: {question}\nChoices:\n{options}"
    hint = _HINTS[precision] if answer_type == "float" else _HINTS[answer_type]
    return f"Hint: {hint}\nQuestion: {question}"


def _row(index: int, problem: _Problem) -> dict[str, Any]:
    sample_id = f"{ID_PREFIXES[problem.category]}-{index + 1:03d}"
    question_type = "multi_choice" if problem.choices else "free_form"
    choices = list(problem.choices) if problem.choices else None
    return {
        "id": sample_id,
        "images": [f"images/{sample_id}.png"],
        "problem": f"<image>{problem.question}",
        "answer": problem.answer,
        "choices": choices,
        "question_type": question_type,
        "answer_type": problem.answer_type,
        "precision": problem.precision,
        "category": problem.category,
        "family": family_of(index),
        "query": query_text(problem.question, question_type, problem.answer_type, problem.precision, choices),
    }


def make_problem(index: int, seed: int = 0) -> tuple[dict[str, Any], bytes]:
    """Row ``index`` and its PNG. Each row draws from its own random stream, so a smaller ``count`` yields a
    prefix of a larger one."""
    rng = random.Random(f"vision-r1-samples/{seed}/{index}")
    problem = FAMILIES[index % len(FAMILIES)][1](rng)
    return _row(index, problem), _png_bytes(problem.image)


def generate_sample_problems(out_dir: str | Path, count: int = BUNDLED_COUNT, seed: int = BUNDLED_SEED) -> Path:
    """Write ``count`` problems to ``out_dir/problems.jsonl`` and their images to ``out_dir/images/``.

    Deterministic for a seed, byte for byte with a given Pillow. Returns the JSONL path. PNGs named like ours
    that a previous, larger generation left in ``images/`` are removed so the folder matches the JSONL.
    """
    if count < 1:
        raise ValueError(f"count must be >= 1, got {count}")
    root = Path(out_dir)
    images = root / "images"
    images.mkdir(parents=True, exist_ok=True)
    lines, written = [], set()
    for index in range(count):
        row, png = make_problem(index, seed)
        name = Path(row["images"][0]).name
        (images / name).write_bytes(png)
        written.add(name)
        lines.append(json.dumps(row, ensure_ascii=False))
    for stale in images.iterdir():
        if _STALE_IMAGE.fullmatch(stale.name) and stale.name not in written:
            stale.unlink()
    path = root / "problems.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8", newline="\n")
    return path


if __name__ == "__main__":  # python -m vision_r1_plugins.testing.samples [OUT_DIR]: regenerate the bundled copy
    import sys

    generate_sample_problems(sys.argv[1] if len(sys.argv) > 1 else BUNDLED_PROBLEMS)
