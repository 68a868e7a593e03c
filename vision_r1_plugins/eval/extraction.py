"""Where a benchmark response states its final answer, by rules alone (no judge model).

Benchmark responses come from every kind of model: R1-style ``<think>`` traces, ``\\boxed{}`` answers, GPT-4's
prose ("The perimeter of the rectangle is 10 cm."), Chinese ("故选C", "答案是：40") and one-word replies. The
rules, in order:

1. An ``<answer>`` block after the thinking is the answer.
2. Otherwise the LAST anchor in the reply wins: a ``\\boxed{}``, ``Final Answer: X``, a line ``Answer: X``,
   ``the answer is X`` / ``the correct option is X``, a Chinese lead-in (``答案是``, ``故选``, ``选项(D)正确``) or
   DynaMath's JSON ``"short answer"``. So a stale box in the reasoning loses to a later "so the answer is 40";
   a later last sentence that states a value with a verb of being overrides it too (for multiple choice, a
   later concluding sentence that names an option letter). Identical repeated boxes are one answer; different
   boxes joined on one line are kept together so that scoring sees the hedge.
3. Otherwise a bare reply of up to three words ("7", "B", "x = 5").
4. Otherwise, for multiple choice: a reply that opens (or ends) with an option letter; Yes/No opening the reply
   or its last sentence, or a restated yes/no question (negated or not; a comparison checked against the
   question's); the last sentence naming one option by letter, by its text or by every word of it.
5. Otherwise the value the last sentence states ("The number missing in the sequence is 14.", "... = 8"), cut
   to the value and its unit; an earlier sentence only when the last is an aside (a list item, an example).

A reply that ends saying it cannot answer states none (rules 4-5), and so does a response whose thinking
never closed. Full-width forms (``Ｃ``, ``（C）``, ``１２``) are read as their ASCII equivalents. Every scan is
linear in the response length.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from vision_r1_plugins.generation.thinking import THINK_CLOSE, THINK_OPEN
from vision_r1_plugins.reward import ANSWER_CLOSE, ANSWER_OPEN, BOXED, boxed_at, clean_answer, strip_eos

METHODS: tuple[str, ...] = (
    "answer_tag", "boxed", "final_answer", "answer_is", "chinese", "yes_no", "option", "statement", "last_line",
    "judge", "none",
)  # fmt: skip


@dataclass(frozen=True)
class Extraction:
    text: str | None  # the answer as the response states it, None when it states none
    method: str  # one of METHODS


NONE = Extraction(None, "none")

# Characters after an anchor that may hold its answer.
_TAIL = 400
# Only the end of a long reply is searched for prose statements and options: the conclusion is there.
_CONCLUSION = 1500
_BARE_REPLY_CHARS = 80

_ANCHORS = re.compile(
    r"(?P<box>\\boxed\s*\{)"
    # DynaMath asks for JSON: {"solution": "...", "short answer": "..."}.
    r"|(?P<json>[\"']short\s+answer[\"']\s*:\s*[\"'])"
    r"|(?P<final>final\s+answer\b(?:\s*\([^()\n]{0,20}\))?[ \t*_#]*(?:is\b[ \t]*)?[:：]?)"
    r"|(?P<label>(?:^|\n|(?<=[.!?])[ \t]+)[ \t*#>_-]*(?:the\s+|my\s+)?(?:correct\s+)?(?:answer|ans)[ \t*_]*[:：])"
    r"|(?P<is>\b(?:answer|option|choice)(?:\s+letter)?(?:\s+to\s+(?:the|this)\s+(?:question|problem))?"
    r"\s+(?:is|should\s+be|would\s+be|will\s+be|must\s+be|is\s+therefore|=)(?![A-Za-z])[ \t]*[:：]?)"
    r"|(?P<zh>(?:正确)?答案\s*(?:应该?是|应为|是|为|选)?\s*[:：]?|(?:故|所以|因此|应|则)\s*选(?:择|项)?\s*[:：]?"
    r"|选项\s*(?=[(（]?[A-Z][)）]?\s*(?:是|为)?正确))",
    re.IGNORECASE,
)
# Where the sentence that holds a stated answer ends.
_SENTENCE_END = re.compile(
    r"(?<!\d)(?<!^[A-Z])(?<![\s(][A-Z])\.(?=\s|$)|(?<=[A-Z])\.(?=\s+[A-Z][a-z])|(?<=\d)\.(?=\s+[A-Z]|\s*$)|[。；;\n]|[,，]\s*(?:because|since|which|as|so|and|but|while|"
    r"given|where|this|that|it|hence|therefore|thus)\b|[，,]\s*(?:因为|所以|由于|即)|\s+(?:because|since)\b",
    re.IGNORECASE,
)
_OPTION_LETTER = re.compile(r"[(\[]\s*([A-Z])\s*[)\]]|\b(?:letter|option|choice)\s+[\"'“]?([A-Z])\b")
_WORD = re.compile(r"[a-z]{3,}")
_STOPWORDS = frozenset({"the", "and", "would", "will", "are", "was", "were", "its", "their", "this", "that", "with",
                        "for", "from", "has", "have", "not"})  # fmt: skip
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
# What follows "the final answer" when it states no answer ("should be an integer").
_NOT_AN_ANSWER = re.compile(r"(?:should|must|will|would|can|could|needs?\s+to)\b", re.IGNORECASE)
_COMPARATIVES = {"greater": "greater", "more": "greater", "larger": "greater", "bigger": "greater",
                 "higher": "greater", "less": "less", "fewer": "less", "smaller": "less", "lower": "less",
                 "equal": "equal", "same": "equal"}  # fmt: skip
_COMPARATIVE = re.compile(r"\b(" + "|".join(_COMPARATIVES) + r")\b", re.IGNORECASE)
# A reply that opens with an option letter: "B", "(B) 8/11", "B. No, ...", "A: No".
_LEAD_LETTER = re.compile(r"[ \t*]*(?:\(([A-Z])\)|([A-Z])(?:[.:)]|[ \t]*(?:\n|$)))")
_LAST_LINE_LETTER = re.compile(r"\n[ \t*]*\(?([A-Z])\)?[ \t*.]*$")
# "The solution is B: 5", "the answer is C. 25": a letter that labels its option's text.
_LABELLING_LETTER = re.compile(r"\b(?:is|be)\s+\(?([A-Z])\)?\s*[:.)]\s+\S")
_IS_LETTER = re.compile(
    r"(?:\b(?:is|be|choose|select|pick)\s+|是|为|选)(?:option\s+|choice\s+)?\(?([A-Z])\)?(?:\s*\([^()]*\))?\s*[.!。]?\s*$"
)
# A sentence that concludes ("Therefore, the number of eggs needed is 15.") after any anchor states the answer.
_CONCLUDING = re.compile(r"(?:therefore|so|thus|hence|in\s+conclusion|finally|overall|所以|因此|故)\b", re.IGNORECASE)
_BOX_JOIN = re.compile(r"[ \t,;$~]*(?:(?:or|and|\\text\s*\{\s*(?:or|and)\s*\}|\\q?quad)[ \t,;$~]*)?")


def extract(response: str, choices: Sequence[str] | None = None, question: str = "") -> Extraction:
    """The final answer ``response`` states. ``choices`` (a multiple-choice row's options) enables rule 3;
    ``question`` lets a restated comparison answer a yes/no question ("Is A less than B?" "A is greater.")."""
    if not isinstance(response, str) or not response.strip():
        return NONE
    text = strip_eos(response)
    if text.find(THINK_OPEN) >= 0 and text.rfind(THINK_CLOSE) < 0:
        return NONE  # cut off while thinking
    close = text.rfind(THINK_CLOSE)
    reply = text[close + len(THINK_CLOSE) :] if close >= 0 and text[close + len(THINK_CLOSE) :].strip() else text
    reply = unicodedata.normalize("NFKC", reply)
    found = _answer_tag(reply)
    if found is not None:
        return found
    conclusion = reply[-_CONCLUSION:]
    anchored = _last_anchor(reply)
    if anchored is not None:
        after = reply[anchored.end :]
        # A later conclusion overrides an earlier anchor; for multiple choice only one that names a letter.
        later = _concluding_letter(after, choices) if choices else _later_statement(after)
        return Extraction(anchored.text, anchored.method) if later is None else later
    bare = reply.strip()
    if bare and len(bare) <= _BARE_REPLY_CHARS and "\n" not in bare and "<" not in bare and len(bare.split()) <= 3:
        return Extraction(bare.rstrip("."), "last_line")  # "7", "B", "x = 5": the reply is the answer
    if choices:
        found = _lead_letter(reply, choices) or _yes_no(reply, choices, question)
        if found is not None:
            return found
    last_sentences = _sentences(conclusion)
    if last_sentences and REFUSAL.search(last_sentences[-1]):
        return NONE  # the reply ends saying it cannot answer
    if choices:
        found = _named_option(conclusion, choices)
        if found is not None:
            return found
    if bare and len(bare) <= _BARE_REPLY_CHARS and "\n" not in bare and "<" not in bare:
        return _statement(bare) or Extraction(bare.rstrip("."), "last_line")
    return _statement(conclusion) or NONE


@dataclass(frozen=True)
class _Anchored:
    text: str
    method: str
    end: int  # where the anchored answer ends in the reply


def _answer_tag(reply: str) -> Extraction | None:
    end = reply.rfind(ANSWER_CLOSE)
    start = reply.rfind(ANSWER_OPEN, 0, end if end >= 0 else len(reply))
    if start < 0:
        return None
    block = reply[start + len(ANSWER_OPEN) : end if end >= 0 else len(reply)]
    if not clean_answer(block):
        return None
    inner = _last_anchor(block)
    return Extraction(inner.text if inner is not None else _block_value(block.strip()), "answer_tag")


def _block_value(block: str) -> str:
    """An answer block that is one sentence stating a value ("The perimeter is 24 cm.") is that value."""
    if "\n" in block or len(block) > _TAIL or not block[:1].isalpha():
        return block
    verbs = list(_AFTER_VERB.finditer(block))
    return _sentence(block[verbs[-1].end() :]) if verbs else block


def _last_anchor(reply: str) -> _Anchored | None:
    # The last anchor that holds an answer; earlier ones are tried only when a later one names nothing
    # ("the final answer is as follows:" then a box).
    matches = list(_ANCHORS.finditer(reply))
    for match in reversed(matches[-8:]):
        if match.group("box"):
            value = _box_group(reply, match.start())
            method = "boxed"
            end = max(boxed_at(reply, match.start())[1], match.end())
        elif match.group("json"):
            close = reply.find(reply[match.end() - 1], match.end(), match.end() + _TAIL)
            value = reply[match.end() : close].strip() if close >= 0 else None
            method = "answer_tag"
            end = close + 1
        else:
            value = _sentence(reply[match.end() : match.end() + _TAIL])
            end = match.end() + len(value)
            method = "chinese" if match.group("zh") else "final_answer" if not match.group("is") else "answer_is"
            if match.group("label"):
                method = "final_answer"
            if value and BOXED in value:
                continue  # the box that follows is its own, later anchor
        refused = REFUSAL.search(value or "") and not _LEAD_LETTER.match(value or "")  # "(B) can't tell" is B
        if value and clean_answer(value) and not _NOT_AN_ANSWER.match(value) and not refused:
            return _Anchored(value, method, end)
    return None


def _box_group(reply: str, start: int) -> str | None:
    """The box at ``start`` with the boxes joined to it on its line; identical repeats count once."""
    content, end = boxed_at(reply, start)
    if content is None or not content.strip():
        return None
    contents = [content.strip()]
    first = start
    for _ in range(8):  # walk back over "\boxed{5} or \boxed{6}"
        previous = reply.rfind(BOXED, max(0, first - _TAIL), first)
        if previous < 0:
            break
        earlier, previous_end = boxed_at(reply, previous)
        gap = reply[previous_end:first] if previous_end >= 0 else "\n"
        if earlier is None or "\n" in gap or not _BOX_JOIN.fullmatch(gap):
            break
        contents.insert(0, earlier.strip())
        first = previous
    if len(set(contents)) == 1:
        return contents[0]
    return reply[first:end].strip()


def _sentence(tail: str) -> str:
    """The answer stated at the start of ``tail``: up to its sentence's end, markdown and quotes stripped."""
    for tag in (THINK_OPEN, THINK_CLOSE, ANSWER_OPEN, ANSWER_CLOSE):  # "Final Answer:</answer>" names nothing
        tail = tail.replace(tag, "\n")
    tail = tail.lstrip(" \t*_:：\"'`")
    if tail.startswith("\n"):
        tail = tail.lstrip()
    end = _SENTENCE_END.search(tail)
    value = tail[: end.start()] if end else tail
    return value.strip().strip("*_\"'`").strip()


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
    return clean_answer(stated).replace(" ", "").lower() == clean_answer(option).replace(" ", "").lower()


def _named_option(conclusion: str, choices: Sequence[str]) -> Extraction | None:
    """The option the last sentence naming one picks: ``(B)`` or the option's own text."""
    sentences = _sentences(conclusion)
    for sentence in reversed(sentences[-6:]):
        if REFUSAL.search(sentence):
            return None
        letters = {match.group(1) or match.group(2) for match in _OPTION_LETTER.finditer(sentence)}
        ending = _IS_LETTER.search(sentence) or _LABELLING_LETTER.search(sentence)
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
        if clause != sentence and (_AFTER_EQUALS.search(clause) or _AFTER_VERB.search(clause) or
                                   _CLAUSE_VALUE.match(clause)):  # fmt: skip
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
    return [part for part in re.split(r"(?<=[.!?。])\s+|\n+", text) if part.strip()]
