"""One benchmark row mapped onto the fields every scoring rule reads."""

from __future__ import annotations

import math
from dataclasses import dataclass

MULTI_CHOICE, FREE_FORM = "multi_choice", "free_form"
ANSWER_TYPES = ("integer", "float", "text", "list")

_ANSWER_TYPE_ALIASES = {"int": "integer", "decimal": "float", "number": "float", "exact": "text"}


@dataclass(frozen=True)
class EvalItem:
    """One benchmark row mapped onto common fields.

    Benchmarks spell the types differently ("multiple-choice", "multiple choice", "int"); those spellings are
    mapped onto the canonical ones here, and an unknown answer type scores as text rather than failing a run.
    """

    question: str
    answer: str
    choices: tuple[str, ...] | None = None
    question_type: str = FREE_FORM  # "multi_choice" | "free_form"
    answer_type: str = "text"  # "integer" | "float" | "text" | "list"
    precision: int | None = None  # decimals for float answers (MathVista)
    category: str | None = None
    golds: tuple[str, ...] = ()  # every gold answer where a row has several (MM-Math's boxes)

    def __post_init__(self) -> None:
        # JSON rows carry lists and MathVista stores precision as 2.0; a frozen dataclass must be coerced here.
        if self.choices is not None:
            object.__setattr__(self, "choices", tuple(str(option) for option in self.choices) or None)
        object.__setattr__(self, "answer", str(self.answer))
        question_type = str(self.question_type).strip().lower()
        multi_choice = "choice" in question_type or question_type == "mc"
        object.__setattr__(self, "question_type", MULTI_CHOICE if multi_choice else FREE_FORM)
        answer_type = str(self.answer_type).strip().lower()
        answer_type = _ANSWER_TYPE_ALIASES.get(answer_type, answer_type)
        object.__setattr__(self, "answer_type", answer_type if answer_type in ANSWER_TYPES else "text")
        precision = self.precision
        if isinstance(precision, float) and math.isnan(precision):  # pandas' missing value
            precision = None
        object.__setattr__(self, "precision", None if precision is None else int(precision))
