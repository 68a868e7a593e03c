"""Units written after a value: which unit, so that ``5 m`` is not accepted for ``5 cm``.

Only the unit's identity is compared, never a conversion: a gold in centimetres wants centimetres. A unit on
one side only is ignored (golds often omit it), and generic counting words ("units", "square units", "个")
are never units.
"""

from __future__ import annotations

import re

# spelling -> canonical name. Plurals and case variants are listed where they differ.
_NAMED: dict[str, str] = {}
for canonical, spellings in {
    "mm": "mm millimeter millimeters millimetre millimetres 毫米",
    "cm": "cm centimeter centimeters centimetre centimetres 厘米 公分",
    "dm": "dm decimeter decimeters 分米",
    "m": "m meter meters metre metres 米",
    "km": "km kilometer kilometers kilometre kilometres 千米 公里",
    "in": "in inch inches",
    "ft": "ft foot feet",
    "yd": "yd yard yards",
    "mi": "mi mile miles",
    "mg": "mg milligram milligrams 毫克",
    "g": "g gram grams 克",
    "kg": "kg kilogram kilograms 千克 公斤",
    "lb": "lb lbs pound pounds",
    "oz": "oz ounce ounces",
    "ml": "ml mL milliliter milliliters millilitre millilitres 毫升",
    "l": "L liter liters litre litres 升",
    "ms": "ms millisecond milliseconds 毫秒",
    "s": "s sec secs second seconds 秒",
    "min": "min mins minute minutes 分钟",
    "h": "h hr hrs hour hours 小时",
    "day": "day days 天",
    "deg": "deg degree degrees 度",
    "rad": "rad rads radian radians 弧度",
    "%": "% percent",
    "usd": "dollar dollars",
    "cny": "yuan 元",
    "m/s": "m/s",
    "km/h": "km/h kmh kph",
    "mph": "mph",
    "cm/s": "cm/s",
    "n": "N newton newtons 牛",
    "j": "J joule joules 焦",
    "w": "W watt watts 瓦",
    "v": "V volt volts 伏",
    "a": "A amp amps ampere amperes 安",
    "pa": "Pa pascal pascals 帕",
    "hz": "Hz hertz 赫兹",
    "°c": "°C ℃ celsius",
    "°f": "°F fahrenheit",
}.items():
    for spelling in spellings.split():
        _NAMED[spelling] = canonical

# Counting words: "12 square units" is 12, and "units" on one side says nothing about the other.
GENERIC = frozenset({"unit", "units", "square units", "sq units", "cubic units", "个", "只", "人", "块", "条",
                     "平方单位", "单位"})  # fmt: skip
# Symbols a unit may follow only without a space in between would be ambiguous with variables, so single
# Latin letters are units only right after a number ("5 m", "5m"), never after a letter.
_SINGLE_LETTER = re.compile(r"[A-Za-z]")
_MATH_WORDS = frozenset({"pi", "e", "i", "sqrt", "inf", "infty", "infinity", "oo", "or", "and", "cdot", "times"})

_DEGREE = r"(?:\^\s*\{?\s*\\circ\s*\}?|°|\\degree\b|\\circ\b)"
_WORD = r"(?:[A-Za-z]+(?:/[A-Za-z]+)?|%|\\%|℃|°[CF]|[\u4e00-\u9fff]{1,4})"
_POWER = r"(?:\s*\^\s*\{?\s*(?P<power>[23])\s*\}?|(?P<digit_power>[23])(?![\d.])|\s+(?P<power_word>squared|cubed))"
_UNIT_TAIL = re.compile(
    rf"(?P<value>.*?[\d}})a-zA-Z.])\s*(?:\\[,;: ]\s*|~\s*)*"
    rf"(?:(?P<degree>{_DEGREE})|(?P<square>square|sq\.?|cubic|平方|立方)?\s*(?P<word>{_WORD}){_POWER}?)\s*$",
    re.DOTALL,
)


def split_unit(text: str) -> tuple[str, str | None]:
    """(value, canonical unit or None). ``12 \\text{ cm}^2``, ``12\\,\\text{cm}^2``, ``12 cm²`` (after
    :func:`~vision_r1_plugins.reward.text.normalize_notation`) -> ``("12", "cm^2")``; ``30^\\circ`` ->
    ``("30", "deg")``; ``12 square units`` -> ``("12", "units")``; ``2x`` -> ``("2x", None)``."""
    match = _UNIT_TAIL.fullmatch(text.strip())
    if match is None:
        return text.strip(), None
    value = match.group("value").strip()
    if match.group("degree"):
        return value, "deg"
    word = match.group("word").replace("\\%", "%")
    square = match.group("square")
    power = match.group("power") or match.group("digit_power")
    if match.group("power_word"):
        power = "2" if match.group("power_word") == "squared" else "3"
    if word.lower() in _MATH_WORDS or not _value_like(value):
        return text.strip(), None
    if _SINGLE_LETTER.fullmatch(word) and not value[-1:].isdigit():
        return text.strip(), None  # "2x", "\pi r": a variable, not a unit
    name = (f"{'square ' if square else ''}{word}").strip().lower()
    if name in GENERIC or word.lower() in GENERIC:
        return value, "units"
    canonical = _NAMED.get(word) or _NAMED.get(word.lower())
    if canonical is None:
        if len(word) < 2 or not word.isalpha():
            return text.strip(), None
        canonical = word.lower().removesuffix("s")  # "12 apples": an unknown unit, compared by name
    if square and square.startswith(("square", "sq", "平方")):
        power = "2"
    elif square:
        power = "3"
    return value, f"{canonical}^{power}" if power else canonical


def _value_like(value: str) -> bool:
    """Whether what precedes a unit can be a value: it ends in a digit, a closing brace or bracket, or π."""
    stripped = value.rstrip(". ")
    return bool(stripped) and (stripped[-1].isdigit() or stripped[-1] in "})" or stripped.endswith("\\pi"))


def units_conflict(left: str | None, right: str | None) -> bool:
    """Both sides name a unit and they are different ones. Generic counting words never conflict."""
    if left is None or right is None or "units" in (left, right):
        return False
    return left != right
