"""Where a benchmark response states its final answer, by rules alone (no judge model).

The answer is located by :func:`vision_r1_plugins.answers.find_answer`, the locator the reward and
``vision-r1 infer`` use too: an ``<answer>`` block, else the LAST anchor (a box, ``Final Answer:``, a line
``Answer:``, ``the answer is``, a Chinese lead-in, DynaMath's JSON ``"short answer"``), else a bare reply of up to
three words. Benchmark responses come from every kind of model, and many non-R1 models (GPT-4's prose "The
perimeter of the rectangle is 10 cm.", one-word replies, "故选C") state no anchor, so this module adds a
documented layer on top, for evaluation only:

1. After an anchor, a later last sentence that states a value with a verb of being overrides it ("... gave
   \\boxed{64}, but I used the diameter. The area is approximately 50.27."), unless it offers an alternative
   ("Alternatively, ..."); for multiple choice only a later concluding sentence that names an option letter.
2. Without an anchor, for multiple choice: a reply that opens (or ends) with an option letter; Yes/No opening the
   reply or its last sentence, or a restated yes/no question (negated or not; a comparison checked against the
   question's); the last sentence naming one option by letter (also as its last word: "... to get D."), by its
   text or by every word of it.
3. Otherwise the first value a reply sets in bold ("... highest in **2019**, with 25.8%."), else the value the
   last sentence states ("The number missing in the sequence is 14.", "... = 8"), cut to the value and its
   unit; an earlier sentence only when the last is an aside (a list item, an example).

A reply that ends saying it cannot answer states none (rules 2-3), and so does a response whose thinking
never closed. Every scan is linear in the response length.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from vision_r1_plugins.answers import find_answer, plain_answer, read_answer
from vision_r1_plugins.answers.locate import sentence as first_sentence

METHODS: tuple[str, ...] = (
    "answer_tag",
    "boxed",
    "final_answer",
    "answer_is",
    "chinese",
    "yes_no",
    "option",
    "statement",
    "last_line",
    "judge",
    "none",
)


@dataclass(frozen=True)
class Extraction:
    text: str | None  # the answer as the response states it, None when it states none
    method: str  # one of METHODS


NONE = Extraction(None, "none")

_BOLD = re.compile(r"\*\*([^*\n]{1,60})\*\*")
# Only the end of a long reply is searched for prose statements and options: the conclusion is there.
_CONCLUSION = 1500
_BARE_REPLY_CHARS = 80

_OPTION_LETTER = re.compile(r"[(\[]\s*([A-Z])\s*[)\]]|\b(?:letter|option|choice)\s+[\"'“]?([A-Z])\b")
_WORD = re.compile(r"[a-z]{3,}")
_STOPWORDS = frozenset(
    {
        "the",
        "and",
        "would",
        "will",
        "are",
        "was",
        "were",
        "its",
        "their",
        "this",
        "that",
        "with",
        "for",
        "from",
        "has",
        "have",
        "not",
    }
)
_NUMBER_WORD = (
    r"(?:zero|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen"
    r"|seventeen|eighteen|nineteen|twenty)"
)
_VALUE = (
    r"(?:[-+−]|\$)*\s*(?:\d{1,3}(?:[ ,]\d{3})+(?!\d)(?:\.\d+)?|\d[\d,]*(?:\.\d+)?|\.\d+"
    r"|\\[dt]?frac\{|\\sqrt|\[\s*\d)"
)
# Number words count only where a sentence states a count: "There are two sequences", "The answer is three".
_WORD_VALUE = rf"{_NUMBER_WORD}\b"
# A value a sentence states: after its last "=", else after its last verb of being, else its last number.
_AFTER_EQUALS = re.compile(rf"=\s*(?P<value>{_VALUE}[^=;\n]{{0,40}})$", re.IGNORECASE)
_ADVERBS = r"(?:(?:approximately|about|around|roughly|nearly|almost|equal\s+to|exactly|only|just|either)\s+)?"
_AFTER_VERB = re.compile(
    r"\b(?:is|are|was|were|equals?|be|becomes|gives(?:\s+us)?|has|have|gets?|contains?|needs?|costs?|weighs?|takes?|measures?"
    r"|totals?|of|to|at|between|from|reads?|shows?|remains?|comes\s+to|amounts\s+to)\s+"
    rf"{_ADVERBS}(?={_VALUE})|[:：]\s*(?={_VALUE})"
    rf"|\b(?:is|are|was|were|equals?|be|has|have|total\s+of)\s+{_ADVERBS}(?={_WORD_VALUE})",
    re.IGNORECASE,
)
# A later sentence overrides an earlier box only through a verb of being: "The area is approximately 50.27."
_BEING = re.compile(rf"\b(?:is|are|was|were|equals?|becomes)\s+{_ADVERBS}(?={_VALUE}|{_WORD_VALUE})", re.IGNORECASE)
# How much of a stated value is kept: the value and up to two words of unit ("5 apples", "30 minutes").
_VALUE_AND_UNIT = re.compile(
    r"\s*(?P<kept>\S+(?:\s+(?!(?:in|on|at|of|for|per|past|each|with|from|to|by|and|or|which|that|the|a|an)\b)"
    r"[^\s,;]+){0,2})",
    re.IGNORECASE,
)
_ANY_VALUE = re.compile(rf"(?<![\w.{{]){_VALUE}", re.IGNORECASE)
_LISTED = re.compile(rf"{_VALUE}(?:\s*(?:,|,?\s+and)\s+{_VALUE})+", re.IGNORECASE)
# Pleasantries that close a chat reply and state nothing ("I hope this helps!").
_PLEASANTRY = re.compile(
    r"^(?:i\s+hope|let\s+me\s+know|please\s+let|do\s+you|is\s+there\s+anything|feel\s+free|would\s+you|if\s+you\s+have"
    r"|note\b|ultimately\b)",
    re.IGNORECASE,
)
_YES_NO = re.compile(r"\s*(?:\*\*)?(yes|no)\b", re.IGNORECASE)
# A reply that restates a yes/no question ("Slate is not the high median.") answers it; one that says the
# question cannot be answered does not.
_NEGATION = re.compile(r"\b(?:not|no|never|neither|nor|none)\b|n't\b", re.IGNORECASE)
REFUSAL = re.compile(
    r"\b(?:(?:not|no|insufficient)\s+(?:enough|sufficient)?\s*(?:information|context|data|details)"
    r"|(?:does|do|did)\s*(?:not|n't)\s+(?:provide|give|specify|mention)"
    r"|(?:cannot|can't|can\s+not)\s+(?:be\s+)?(?:\w+ly\s+)?"
    r"(?:determined?|answered?|tell|say|conclude|provided?|found|find|calculated?|select|respond|choose)"
    r"|(?:more|additional|further)\s+(?:context|information|details)\s+(?:is|are)\s+needed"
    r"|without\s+(?:any\s+)?(?:additional|more|further|specific)\s+(?:context|information|details|data)"
    r"|(?:is|are)\s+not\s+(?:provided|given|specified|shown|available|known)"
    r"|(?:impossible|not\s+possible|unable|difficult|hard)\s+to\s+\w+"
    r"|(?:is|seems|appears)\s+(?:not\s+clear|unclear|incomplete|invalid|ambiguous|subjective)"
    r"|\b(?:not\s+sure|unsure|uncertain|(?:do\s+not|don't)\s+know|cannot\s+tell)"
    r"|\b(?:can't|cannot|can\s+not|am\s+unable\s+to)\s+(?:help|process|assist|see|view|answer)"
    r"|none\s+of\s+the\s+(?:options|choices|answers|given)|no\s+(?:correct\s+)?(?:option|answer)\s+(?:is|matches)"
    r"|not\s+(?:among|in|one\s+of)\s+the\s+(?:options|choices))"
    r"|不在选[项择]中|无法(?:确定|判断|回答|得出)|没有(?:正确)?(?:答案|选项)",
    re.IGNORECASE,
)
_LAST_CLAUSE = re.compile(r",\s+(?=with\b|which\b|so\b|giving\b|that\s+is\b|i\.e\.)", re.IGNORECASE)
_CLAUSE_VALUE = re.compile(rf"(?:with|giving|so)\s+{_ADVERBS}(?={_VALUE}|{_WORD_VALUE})", re.IGNORECASE)
_LIST_ITEM = re.compile(r"(?:\d{1,2}[.)]|[-*•])\s+\S")
_WORD_NUMBER = re.compile(rf"\b{_NUMBER_WORD}\b", re.IGNORECASE)
# Sentences that state a value only as an example or a condition.
_HYPOTHETICAL = re.compile(r"^(?:for\s+example|for\s+instance|e\.g\.|if|suppose|assuming|when)\b", re.IGNORECASE)
# A later sentence that offers another way or value, not a correction: it does not override an anchor.
_ALTERNATIVE = re.compile(r"^(?:alternatively|or\b|another\s+(?:way|approach|method)|if\s+instead)", re.IGNORECASE)
_COMPARATIVES = {
    "greater": "greater",
    "more": "greater",
    "larger": "greater",
    "bigger": "greater",
    "higher": "greater",
    "less": "less",
    "fewer": "less",
    "smaller": "less",
    "lower": "less",
    "equal": "equal",
    "same": "equal",
}
_COMPARATIVE = re.compile(r"\b(" + "|".join(_COMPARATIVES) + r")\b", re.IGNORECASE)
# A reply that opens with an option letter: "B", "(B) 8/11", "B. No, ...", "A: No".
_LEAD_LETTER = re.compile(r"[ \t*]*(?:\(([A-Z])\)|([A-Z])(?:[.:)]|[ \t]*(?:\n|$)))")
_LAST_LINE_LETTER = re.compile(r"\n[ \t*]*\(?([A-Z])\)?[ \t*.]*$")
# "The solution is B: 5", "the answer is C. 25": a letter that labels its option's text.
_LABELLING_LETTER = re.compile(r"\b(?:is|be)\s+\(?([A-Z])\)?\s*[:.)]\s+\S")
# A sentence that is only an option letter ("... 的一半。C。").
_LONE_LETTER = re.compile(r"\s*\(?([A-Z])\)?\s*[.!。]?\s*")
_IS_LETTER = re.compile(
    r"(?:\b(?:is|be|choose|select|pick|get|gets|obtain|give|gives|to|as)\s+|是|为|选)(?:option\s+|choice\s+)?\(?([A-Z])\)?"
    r"(?:\s*\([^()]*\))?\s*[.!。]?\s*$"
)
# A sentence that concludes ("Therefore, the number of eggs needed is 15.") after any anchor states the answer.
_CONCLUDING = re.compile(r"(?:therefore|so|thus|hence|in\s+conclusion|finally|overall|所以|因此|故)\b", re.IGNORECASE)
_BOX_JOIN = re.compile(r"[ \t,;$~]*(?:(?:or|and|\\text\s*\{\s*(?:or|and)\s*\}|\\q?quad)[ \t,;$~]*)?")


def extract(response: str, choices: Sequence[str] | None = None, question: str = "") -> Extraction:
    """The final answer ``response`` states. ``choices`` (a multiple-choice row's options) enables the option
    rules; ``question`` lets a restated comparison answer a yes/no question ("Is A less than B?" "A is
    greater.")."""
    found = find_answer(response, skip=_refused)
    if found.method == "answer_tag":  # "<answer>The perimeter is 24 cm.</answer>" states 24 cm
        return Extraction(_block_value(found.text), "answer_tag")
    if found.method == "none" and not found.reply:
        return NONE
    reply = found.reply
    if found.text is not None and found.method != "last_line":
        # A later conclusion overrides an earlier anchor; for multiple choice only one that names a letter.
        after = reply[found.end :]
        later = _concluding_letter(after, choices) if choices else _later_statement(after)
        return Extraction(found.text, found.method) if later is None else later
    conclusion = reply[-_CONCLUSION:]
    bare = reply.strip()
    if found.method == "last_line":  # "7", "B", "x = 5": the reply is the answer
        return Extraction(found.text, "last_line")
    if choices:
        lettered = _lead_letter(reply, choices) or _yes_no(reply, choices, question)
        if lettered is not None:
            return lettered
    last_sentences = _sentences(conclusion)
    if last_sentences and REFUSAL.search(last_sentences[-1]):
        return NONE  # the reply ends saying it cannot answer
    if choices:
        named = _named_option(conclusion, choices)
        if named is not None:
            return named
    if bare and len(bare) <= _BARE_REPLY_CHARS and "\n" not in bare and "<" not in bare:
        return _statement(bare) or Extraction(bare.rstrip("."), "last_line")
    return _bold_value(reply) or _statement(conclusion) or NONE


def _bold_value(reply: str) -> Extraction | None:
    """The first value a chat reply sets in bold ("The market share is highest in **2019**, with 25.8%."):
    replies that lead with the answer mark it so, and explain after it."""
    for match in _BOLD.finditer(reply[:_CONCLUSION]):
        inner = match.group(1).strip()
        if _ANY_VALUE.search(inner) and len(inner) <= 40:
            return Extraction(inner, "statement")
    return None


def _block_value(block: str) -> str:
    """An answer block the reader reads whole is its values ("The perimeter is 24 cm." -> "24 cm"); one that
    starts with its value is kept as written ("x = 12", "−3")."""
    reading = read_answer(block)
    if not reading.complete:
        return block
    if reading.values[0].start == 0:
        return block.strip().rstrip(".")
    return plain_answer(block)


def statement_value(text: str) -> str | None:
    """The value a sentence states ("There are 5 objects left after ..." -> "5 objects"), or None."""
    found = _statement(text)
    return found.text if found is not None else None


def _refused(value: str) -> bool:
    """An anchored text that refuses ("The answer is: cannot be determined"); "(B) can't tell" is B."""
    return bool(REFUSAL.search(value)) and not _LEAD_LETTER.match(value)


def _sentence(tail: str) -> str:
    return first_sentence(tail)


def _yes_no(reply: str, choices: Sequence[str], question: str) -> Extraction | None:
    """A Yes/No question answered in the reply's first word ("No, the integral is not finite.")."""
    lowered = [str(option).strip().lower() for option in choices]
    if sorted(lowered) != ["no", "yes"]:
        return None
    sentences = _sentences(reply[-_CONCLUSION:])
    match = _YES_NO.match(sentences[-1]) if sentences else None  # "... diverges. No, it is not finite."
    match = match or _YES_NO.match(reply)
    if match:
        return Extraction(match.group(1).capitalize(), "yes_no")
    first = re.split(r"(?<=[.!?。])\s+", reply.strip(), maxsplit=1)[0]
    if not first or "?" in first or REFUSAL.search(first) or (sentences and REFUSAL.search(sentences[-1])):
        return None
    asked, stated = _comparison(question), _comparison(first)
    if asked and stated:
        return Extraction("Yes" if asked == stated else "No", "yes_no")
    return Extraction("No" if _NEGATION.search(first) else "Yes", "yes_no")


def _comparison(text: str) -> str | None:
    """ "greater", "less" or "equal": the comparison a sentence makes, when it makes exactly one."""
    found = {_COMPARATIVES[word.lower()] for word in _COMPARATIVE.findall(text)}
    if len(found) != 1:
        return None
    kind = found.pop()
    if kind != "equal" and _NEGATION.search(text):
        return None  # "not greater than" may mean less or equal
    return kind


def _lead_letter(reply: str, choices: Sequence[str]) -> Extraction | None:
    """A reply that opens with an option letter ("B", "(B) 8/11", "B. No, ..."), or ends with one alone."""
    match = _LEAD_LETTER.match(reply) or _LAST_LINE_LETTER.search(reply[-40:])
    letter = (match.group(1) or match.group(2)) if match else None
    if letter and ord(letter) - ord("A") < len(choices):
        return Extraction(letter, "option")
    return None


def _later_statement(after: str) -> Extraction | None:
    """A value the reply's last sentence states after the anchor, by a verb of being: the last statement wins
    over an earlier box ("... gave \\boxed{64}, but I used the diameter. The area is approximately 50.27.")."""
    sentences = [part.replace("**", "").strip() for part in _sentences(after[-_CONCLUSION:])]
    sentences = [part for part in sentences if not _PLEASANTRY.match(part)]
    if not sentences or REFUSAL.search(sentences[-1]) or _HYPOTHETICAL.match(sentences[-1]):
        return None
    if any(_ALTERNATIVE.match(part) for part in sentences):
        return None  # "Alternatively, the area is 6.": another way, not a correction
    last = sentences[-1].rstrip(".!。 ")
    verbs = list(_BEING.finditer(last))
    return Extraction(_stated_value(_sentence(last[verbs[-1].end() :])), "statement") if verbs else None


def _concluding_letter(text: str, choices: Sequence[str]) -> Extraction | None:
    """The option letter a concluding sentence names: "Therefore, the answer is the dodecagon (D)."."""
    sentences = [part for part in _sentences(text) if _CONCLUDING.match(part.strip(" *"))]
    for sentence in reversed(sentences[-3:]):
        letters = {match.group(1) or match.group(2) for match in _OPTION_LETTER.finditer(sentence)}
        letters = {letter for letter in letters if ord(letter) - ord("A") < len(choices)}
        if len(letters) == 1:
            return Extraction(f"({letters.pop()})", "option")
        stated = _statement(sentence)
        values = [option for option in choices if stated and stated.text and _same_text(stated.text, str(option))]
        if len(values) == 1:  # "Therefore, the perimeter is 4 + 8 + 4 = 16." where an option reads 16
            return Extraction(values[0], "option")
    return None


def _same_text(stated: str, option: str) -> bool:
    return plain_answer(stated).replace(" ", "").lower() == plain_answer(option).replace(" ", "").lower()


def _named_option(conclusion: str, choices: Sequence[str]) -> Extraction | None:
    """The option the last sentence naming one picks: ``(B)`` or the option's own text."""
    sentences = _sentences(conclusion)
    for sentence in reversed(sentences[-6:]):
        if REFUSAL.search(sentence):
            return None
        letters = {match.group(1) or match.group(2) for match in _OPTION_LETTER.finditer(sentence)}
        ending = _IS_LETTER.search(sentence) or _LABELLING_LETTER.search(sentence) or _LONE_LETTER.fullmatch(sentence)
        if ending:
            letters = {ending.group(1)}
        letters = {letter for letter in letters if ord(letter) - ord("A") < len(choices)}
        if len(letters) == 1:
            return Extraction(f"({letters.pop()})", "option")
        lowered = sentence.lower()
        named = [index for index, option in enumerate(choices) if _mentions(lowered, str(option).strip().lower())]
        if not named:
            named = _covered_options(lowered, choices)
        if len(named) == 1:
            return Extraction(str(choices[named[0]]), "option")
        if len(named) > 1 or len(letters) > 1:
            return None  # the sentence weighs several options
    return None


def _covered_options(sentence: str, choices: Sequence[str]) -> list[int]:
    """Options of several words every content word of which the sentence uses ("the population of adult
    spiders would decrease" names "Adults spider population would decrease"); a word matches by its stem."""
    stems = {word[:5] for word in _WORD.findall(sentence)}
    covered = []
    for index, option in enumerate(choices):
        words = [word for word in _WORD.findall(str(option).lower()) if word not in _STOPWORDS]
        if len(words) >= 2 and all(word[:5] in stems for word in words):
            covered.append(index)
    return covered


def _mentions(sentence: str, option: str) -> bool:
    """Whether ``sentence`` names the option's text as a whole word (one-character options are letters)."""
    return len(option) > 1 and re.search(rf"(?<!\w){re.escape(option)}(?!\w)", sentence) is not None


def _statement(conclusion: str, concluding: bool = False) -> Extraction | None:
    """The value the last sentence stating one gives: "The number missing is 14." -> 14. With
    ``concluding``, only a sentence that opens with "Therefore"/"So"/"所以" counts. A sentence that only lists
    numbers ("1, 2, 3, __, 5") is read only when no sentence states a value."""
    sentences = [part.replace("**", "").strip() for part in _sentences(conclusion)]
    # Pleasantries, code fences and table rules ("```", "--- | ---") are not sentences of the answer.
    sentences = [part for part in sentences if not _PLEASANTRY.match(part) and re.search(r"\w", part)]
    if concluding:
        sentences = [part for part in sentences if _CONCLUDING.match(part)]
    # The last sentence states the answer. An earlier one counts when the last is an aside: a hypothetical,
    # an item of a list ("4. Yellow cylinder"), or a complete sentence with no value ("It is the bar for lime.");
    # a last sentence cut off mid-way ("Adding") ends the search.
    recent = []
    for sentence in reversed(sentences[-3:]):
        if REFUSAL.search(sentence):
            break
        if _HYPOTHETICAL.match(sentence) or _LIST_ITEM.match(sentence):
            continue
        recent.append(sentence.rstrip(".!。 "))
        if _ANY_VALUE.search(sentence) or _WORD_NUMBER.search(sentence) or not sentence.endswith((".", "!", "。")):
            break
    for sentence in recent:
        # The sentence's last clause concludes it: "4 dots divided into 2 groups, with 2 dots in each group".
        clause = _LAST_CLAUSE.split(sentence)[-1]
        if clause != sentence and (
            _AFTER_EQUALS.search(clause) or _AFTER_VERB.search(clause) or _CLAUSE_VALUE.match(clause)
        ):
            sentence = clause
        match = _AFTER_EQUALS.search(sentence)
        verbs = list(_AFTER_VERB.finditer(sentence))
        # Whichever comes last states the value: "... = 16", or "the field at $r=2R$ is 0.214 N/C".
        if verbs and (match is None or verbs[-1].start() > match.start()):
            value = sentence[verbs[-1].end() :]
        else:
            value = match.group("value") if match else None
        if value is None and (lead := _CLAUSE_VALUE.match(sentence)):
            value = sentence[lead.end() :]
        if value is not None:
            return Extraction(_stated_value(_sentence(value)), "statement")
    for sentence in recent:
        if len(sentence) > _BARE_REPLY_CHARS * 3:
            continue  # a long run with no verb and no "=" is not a statement
        if sentence.startswith("[") and sentence.endswith("]"):
            return Extraction(sentence, "statement")  # a list on its own line
        values = list(_ANY_VALUE.finditer(sentence))
        if values:
            return Extraction(_stated_value(_sentence(sentence[values[-1].start() :])), "statement")
    return None


def _stated_value(value: str) -> str:
    """The value a statement gives, without the rest of its sentence: "5 apples in the picture" -> "5 apples".
    Alternatives stay whole ("5 or 6 coins"), and so does LaTeX, lists and anything with "=" in it."""
    if re.search(r"\bor\b|\\|[\[(=]", value):
        return value
    listed = _LISTED.match(value)
    if listed:  # "2007 and 2008", "3, 5 and 7": a list answer
        return listed.group()
    match = _VALUE_AND_UNIT.match(value)
    return match.group("kept") if match else value


def _sentences(text: str) -> list[str]:
    return [part for part in re.split(r"(?<=[.!?])\s+|(?<=。)\s*|\n+", text) if part.strip()]
