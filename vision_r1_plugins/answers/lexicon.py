"""The words of the answer language, by class: what ``grammar.lark`` calls CONN, LEAD_IS, COPULA, NOUN, ...

Every word or fixed phrase the reader understands is listed here; a word that is in no class is a plain WORD,
which the grammar accepts only as (part of) a word answer. Phrases are matched before single words, longest
first, so "the final answer is" is one LEAD_IS token and "is the correct answer" one TRAILER.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


def _with_plurals(singulars: str) -> frozenset[str]:
    """Each noun and its regular plural (``box`` -> ``boxes``, ``body`` -> ``bodies``)."""
    out: set[str] = set()
    for word in singulars.split():
        out.add(word)
        if word.endswith(("s", "x", "z", "ch", "sh")):
            out.add(word + "es")
        elif word.endswith("y") and word[-2:-1] not in "aeiou":
            out.add(word[:-1] + "ies")
        else:
            out.add(word + "s")
    return frozenset(out)


def _phrases(*parts: Iterable[str]) -> set[str]:
    """Every combination of the parts, each part a list of alternatives ("" for none)."""
    return {" ".join(word for word in combination if word) for combination in itertools.product(*parts)}


# ------------------------------------------------------------------------------------------ English phrases
_CONNECTIVES = [
    "so",
    "thus",
    "therefore",
    "hence",
    "finally",
    "overall",
    "consequently",
    "altogether",
    "clearly",
    "in conclusion",
    "in summary",
    "in total",
    "in short",
    "to conclude",
    "to summarize",
    "as a result",
    "so overall",
    "thus overall",
    "and so",
]
_DETERMINERS = ["", "the", "my", "our"]
_ANSWER_ADJECTIVES = ["", "final", "correct", "right", "best", "required", "true", "only"]
_ANSWER_NOUNS = ["answer", "result", "solution", "option", "choice", "response", "conclusion"]
_TO_THE_QUESTION = ["", "to the question", "to this question", "to the problem", "to this problem"]
# Modal forms ("would be", "should be", "must be") are not here: a conditional or a guess states nothing.
_IS = ["is", "is therefore", "therefore is", "is thus", "="]

# "The final answer is", "the answer to the question is", "the correct option is"
LEAD_IS = _phrases(_DETERMINERS, _ANSWER_ADJECTIVES, _ANSWER_NOUNS, _TO_THE_QUESTION, _IS)
# "Answer:", "Final answer:", "Result =", "Solution:": a label (a colon or "=" may follow).
LEAD_NOUN = _phrases(_DETERMINERS, _ANSWER_ADJECTIVES, ["answer", "result", "solution", "ans", "short answer"])
# "is correct", "is the answer", "is the correct option", "I hope it is correct"
TRAILER = (
    _phrases(["is"], ["the", "my"], ["", "correct", "right", "final", "best"], ["answer", "option", "choice", "one"])
    | _phrases(["is"], ["correct", "right", "true"])
    | _phrases(["i hope", "hopefully"], ["it is", "this is", "it's", "that is"], ["correct", "right"])
)

# "I choose C", "I pick C"
CHOOSE = {"i choose", "i pick", "i select", "i go with"}
# "1.73 (rounded to two decimal places)": how a decimal was rounded, which states nothing more.
ROUNDED = {"rounded"} | _phrases(
    ["rounded", "rounding"],
    ["to", "off to"],
    ["the nearest", ""],
    [
        "tenth",
        "hundredth",
        "thousandth",
        "whole number",
        "integer",
        "unit",
        "degree",
        "cent",
        "percent",
        *_phrases(
            ["one", "two", "three", "four", "five", "six", "1", "2", "3", "4", "5", "6"],
            ["decimal place", "decimal places", "decimals", "significant figures", "places"],
        ),
    ],
)
COPULA = {
    "is",
    "are",
    "was",
    "were",
    "equals",
    "equal",
    "is equal to",
    "are equal to",
    "equal to",
    "becomes",
    "is exactly",
    "measures",
    "totals",
}
PRON_COPULA = {
    "it is",
    "it's",
    "this is",
    "that's",
    "they are",
    "it equals",
    "there are",
    "there is",
    "we get",
    "we have",
    "this gives",
    "that gives",
    "which gives",
}
CONFIRM_YES = {
    "it is",
    "it does",
    "it can",
    "it will",
    "it has",
    "they are",
    "they do",
    "there is",
    "there are",
    "it is true",
    "that is true",
    "that is correct",
    "it is correct",
}
CONFIRM_NO = {
    "it is not",
    "it isn't",
    "it's not",
    "it does not",
    "it doesn't",
    "it cannot",
    "it can't",
    "it has not",
    "it hasn't",
    "they are not",
    "they aren't",
    "they do not",
    "they don't",
    "there is not",
    "there isn't",
    "there are not",
    "there aren't",
    "it is false",
    "that is false",
    "it is not true",
    "it will not",
    "it won't",
}

# ------------------------------------------------------------------------------------------ English words
CONN = set(_CONNECTIVES)
OR = {
    "or",
    "and",
    "nor",
    "versus",
    "vs",
    "vs.",
    "and/or",
    "i.e.",
    "i. e.",
    "that is",
    "namely",
    "equivalently",
    "or equivalently",
    "i.e",
}
DET = {"the", "a", "an", "this", "that", "these", "those", "its", "their", "our", "my", "your", "each", "every"}
PREP = {
    "of",
    "in",
    "on",
    "for",
    "from",
    "between",
    "within",
    "inside",
    "along",
    "at",
    "to",
    "with",
    "by",
    "among",
    "across",
    "under",
    "over",
    "based on",
    "according to",
    "as shown in",
    "looking at",
}
# Negations: no rule uses them, so a word answer or a subject cannot hide one ("Yes, it is also not parallel").
NEG = {
    "not",
    "never",
    "cannot",
    "can't",
    "isn't",
    "aren't",
    "wasn't",
    "doesn't",
    "don't",
    "didn't",
    "won't",
    "neither",
    "hardly",
    "without",
}
APPROX = {"approximately", "approx", "approx.", "about", "around", "roughly", "circa"}
EXACTLY = {"exactly", "precisely"}
YES = {"yes", "yeah", "yep", "true"}
NO = {"no", "nope", "false"}
OPTION_NOUN = {"option", "choice", "answer choice"}
SQUARE = {"square", "sq", "sq.", "cubic"}
SQUARED = {"squared", "cubed"}
PER = {"per"}
# Words that count things rather than measure them: "12 square units", "5 items". Never a unit conflict.
COUNT = _with_plurals("unit item object thing piece person") | {
    "people",
    "square units",
    "sq units",
    "sq. units",
    "cubic units",
    "square unit",
    "units squared",
}
# Money, which the unit registry does not have.
CURRENCY_WORDS = {
    "dollar": "dollar",
    "dollars": "dollar",
    "cent": "cent",
    "cents": "cent",
    "usd": "dollar",
    "yuan": "yuan",
    "rmb": "yuan",
    "euro": "euro",
    "euros": "euro",
    "eur": "euro",
}

# What a statement may be about: "The length of $AB$ is 5", "the number of red cubes is 3". Closed on purpose:
# a subject built from other words is unaccounted, so "The likely answer is 5" states nothing.
NOUN = _with_plurals(
    "value number count total sum difference product quotient ratio length width height depth area perimeter "
    "circumference volume radius diameter angle measure degree side base hypotenuse leg distance speed velocity "
    "acceleration time rate price cost amount percentage percent probability chance mean median mode average "
    "range maximum minimum slope gradient intercept coordinate point vertex midpoint center centre edge face "
    "shape figure triangle rectangle square circle polygon quadrilateral pentagon hexagon octagon parallelogram "
    "rhombus trapezoid trapezium cube cuboid sphere cylinder cone prism pyramid line segment ray chord arc sector "
    "region part portion fraction share quantity term sequence digit integer expression equation function "
    "variable root factor multiple remainder age weight mass temperature score population year month day hour "
    "minute frequency period energy power force pressure work charge current voltage resistance density size "
    "object item thing apple ball block car bar dot coin bird animal tree flower star person people student "
    "answer question problem figure graph chart table diagram image picture row column color colour solution curve "
    "x-coordinate y-coordinate x-intercept y-intercept measurement magnitude interest profit loss salary income "
    "distance displacement altitude elevation"
) | {"people", "vertices", "radii", "indices", "lengths", "mice", "children"}
ADJ = _words(
    "final correct total required unknown missing measured shaded remaining largest smallest greatest least "
    "maximum minimum exact whole entire new original given same first second third fourth last next resulting "
    "combined overall average positive negative red blue green yellow purple brown gray grey black white orange "
    "pink cyan large small big tiny tall short long shiny matte metal metallic rubber left right top bottom upper "
    "lower middle inner outer central acute obtuse interior exterior opposite adjacent corresponding unshaded "
    "horizontal vertical shortest longest highest lowest other each visible full half"
)

# Number words: one token each after fusion ("twenty-one", "one hundred and five", "two thirds").
UNITS_WORDS = {
    word: value
    for value, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen "
        "seventeen eighteen nineteen".split()
    )
}
TENS_WORDS = {
    word: 10 * (index + 2) for index, word in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())
}
SCALE_WORDS = {"hundred": 100, "thousand": 1000, "million": 1_000_000}
FRACTION_WORDS = {
    "half": 2,
    "halves": 2,
    "third": 3,
    "thirds": 3,
    "quarter": 4,
    "quarters": 4,
    "fourth": 4,
    "fourths": 4,
    "fifth": 5,
    "fifths": 5,
}

# ------------------------------------------------------------------------------------------ Chinese
# Segmented longest-first; a character that no entry covers is unaccounted.
HAN: dict[str, str] = {}
for _class, _entries in {
    "CONN": "所以 因此 故 综上 综上所述 即 则 于是 从而 因而 由此可得 可得 解得 求得 得到",
    "LEAD_IS": "答案是 答案为 答案应为 答案应该是 最终答案是 最终答案为 正确答案是 正确答案为 结果是 结果为 "
    "最终结果是 最终结果为",
    "LEAD_NOUN": "答案 答 最终答案 正确答案 结果 解",
    "CHOOSE": "选 选择 故选 应选 所以选 因此选 则选 选择答案",
    "OPTION_NOUN": "选项 项",
    "NOUN": "面积 周长 体积 长度 长 宽 高 半径 直径 角 度数 边长 距离 速度 时间 个数 总数 数量 值 结果 表面积 底面积 "
    "线段 弧长 概率 比 比值 斜率 坐标 和 差 积 商 平均数 中位数 众数 人数",
    "TRAILER": "是正确的 为正确答案 是正确答案 是答案 正确 对",
    "COPULA": "是 为 等于 应为 的值为 的值是 的长度为 的长为 的面积为 的度数为 的周长为 的体积为",
    "OR": "或 或者 或是 还是 和 与 及 以及",
    "YES": "是的 对的",
    "NO": "否 不 不对 错 错误 不是 不正确",
    "APPROX": "约 大约 约为 大概",
    "APPROX_AFTER": "左右",
    "COUNT": "个 只 人 块 条 张 本 支 辆 棵 朵 根 名 件 头 匹 颗 平方单位 单位",
    "SQUARE": "平方 立方",
}.items():
    for _entry in _entries.split():
        HAN[_entry] = _class
# Chinese units: unit-registry names.
HAN_UNITS = {
    "毫米": "millimeter",
    "厘米": "centimeter",
    "分米": "decimeter",
    "米": "meter",
    "千米": "kilometer",
    "公里": "kilometer",
    "克": "gram",
    "千克": "kilogram",
    "公斤": "kilogram",
    "吨": "metric_ton",
    "毫升": "milliliter",
    "升": "liter",
    "秒": "second",
    "分钟": "minute",
    "小时": "hour",
    "天": "day",
    "度": "degree",
    "元": "yuan",
    "平方厘米": "centimeter ** 2",
    "平方米": "meter ** 2",
    "平方千米": "kilometer ** 2",
    "立方厘米": "centimeter ** 3",
    "立方米": "meter ** 3",
}
HAN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
HAN_SCALES = {"十": 10, "百": 100, "千": 1000, "万": 10_000}
# Yes/no words that are also a copula or a trailer; alone they answer.
HAN_ALONE = {"是": "YES", "对": "YES", "正确": "YES", "错": "NO", "错误": "NO"}

# ------------------------------------------------------------------------------------------ phrase table
PHRASES: dict[str, str] = {}
for _class, _entries in {
    "CONN": CONN,
    "LEAD_IS": LEAD_IS,
    "LEAD_NOUN": LEAD_NOUN,
    "TRAILER": TRAILER,
    "COPULA": COPULA,
    "PRON_COPULA": PRON_COPULA,
    "OPTION_NOUN": OPTION_NOUN,
    "COUNT": COUNT,
    "CHOOSE": CHOOSE,
    "ROUNDED": ROUNDED,
    "PREP": PREP,
    "OR": OR,
}.items():
    for _entry in _entries:
        if " " in _entry:
            PHRASES.setdefault(_entry, _class)
MAX_PHRASE_WORDS = max(len(phrase.split()) for phrase in PHRASES)
# Phrases that follow YES/NO ("Yes, it is."): read in that position only.
CONFIRM_PHRASES = {phrase: "CONFIRM_YES" for phrase in CONFIRM_YES} | {phrase: "CONFIRM_NO" for phrase in CONFIRM_NO}

WORDS: dict[str, str] = {}
for _class, _entries in {
    "OR": OR,
    "DET": DET,
    "PREP": PREP,
    "APPROX": APPROX,
    "EXACTLY": EXACTLY,
    "YES": YES,
    "NO": NO,
    "NEG": NEG,
    "ROUNDED": ROUNDED,
    "OPTION_NOUN": OPTION_NOUN,
    "SQUARE": SQUARE,
    "SQUARED": SQUARED,
    "PER": PER,
    "CONN": CONN,
    "COPULA": COPULA,
    "LEAD_NOUN": LEAD_NOUN,
    "COUNT": COUNT,
    "PRON_COPULA": PRON_COPULA,
    "TRAILER": TRAILER,
    "NOUN": NOUN,
    "ADJ": ADJ,
}.items():
    for _entry in _entries:
        if " " not in _entry:
            WORDS.setdefault(_entry, _class)
