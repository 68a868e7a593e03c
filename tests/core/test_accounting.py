"""RowAccount: the arithmetic every report shares and the one exit rule."""

from __future__ import annotations

import pytest

from vision_r1_plugins.core.accounting import EXAMPLES_PER_REASON, RowAccount, Verdict
from vision_r1_plugins.core.errors import RunError, UsageError


def _account(kept: int = 0, filtered: tuple[str, ...] = (), rejected: tuple[str, ...] = ()) -> RowAccount:
    account = RowAccount()
    for _ in range(kept):
        account.add_input()
        account.keep()
    for index, reason in enumerate(filtered):
        account.add_input()
        account.filter(reason, f"row {index}", "too short")
    for index, reason in enumerate(rejected):
        account.add_input()
        account.reject(reason, f"line {index + 1}", "not valid JSON")
    return account


def test_counts_add_up_and_share_one_shape() -> None:
    account = _account(kept=3, filtered=("too_short",), rejected=("invalid_json", "invalid_json", "no_image"))
    account.check_balance()
    assert (account.input, account.kept, account.filtered_total, account.rejected_total) == (7, 3, 1, 3)
    assert account.to_dict() == {
        "input": 7,
        "kept": 3,
        "filtered": {"too_short": 1},
        "rejected": {"invalid_json": 2, "no_image": 1},
    }
    assert account.dropped == {"invalid_json": 2, "too_short": 1, "no_image": 1}


def test_a_row_counted_twice_or_never_breaks_the_balance() -> None:
    account = _account(kept=2)
    account.keep()  # kept without being read
    with pytest.raises(AssertionError, match="row accounting broke: 3 kept"):
        account.check_balance()
    with pytest.raises(AssertionError):
        account.verdict()
    unread = RowAccount()
    unread.add_input(2)
    unread.reject("invalid_row")
    with pytest.raises(AssertionError, match="!= 2 input"):
        unread.check_balance()


def test_examples_keep_a_few_per_reason_in_order() -> None:
    account = _account(kept=1, rejected=("invalid_json",) * 10 + ("no_image",))
    reasons = [example.reason for example in account.examples]
    assert reasons == ["invalid_json"] * EXAMPLES_PER_REASON + ["no_image"]
    first = account.first_of_each_reason()
    assert [str(example) for example in first] == [
        "line 1 invalid_json: not valid JSON",
        "line 11 no_image: not valid JSON",
    ]
    assert account.first_of_each_reason(limit=1) == first[:1]


@pytest.mark.parametrize(
    ("kept", "filtered", "rejected", "strict", "verdict"),
    [
        (0, (), (), False, Verdict.EMPTY),
        (0, (), ("invalid_json",), False, Verdict.NOTHING_KEPT),
        (0, ("too_short",), (), False, Verdict.NOTHING_KEPT),
        (2, (), ("invalid_json",), False, Verdict.OK),
        (2, (), ("invalid_json",), True, Verdict.STRICT_REJECTED),
        (2, ("too_short",), (), True, Verdict.OK),  # filtered rows are what the user asked for
        (2, (), (), True, Verdict.OK),
    ],
)
def test_the_exit_rule(
    kept: int, filtered: tuple[str, ...], rejected: tuple[str, ...], strict: bool, verdict: Verdict
) -> None:
    account = _account(kept, filtered, rejected)
    assert account.verdict(strict) is verdict
    if verdict is Verdict.OK:
        account.outcome(strict)
    else:
        with pytest.raises(UsageError if verdict is Verdict.EMPTY else RunError):
            account.outcome(strict)


def test_outcome_messages_count_reasons_and_quote_the_first_rows() -> None:
    account = _account(rejected=("invalid_json", "invalid_json", "no_image"))
    with pytest.raises(RunError) as nothing:
        account.outcome(source="in.jsonl")
    assert str(nothing.value) == (
        "no row of in.jsonl was kept: 3 of 3 dropped (invalid_json 2, no_image 1); "
        "first: line 1 invalid_json: not valid JSON; line 3 no_image: not valid JSON"
    )
    account = _account(kept=1, rejected=("invalid_json",))
    with pytest.raises(RunError, match=r"^--strict: 1 of 2 rows rejected \(invalid_json 1\)"):
        account.outcome(strict=True)
    with pytest.raises(RunError, match=r"^1 bad, see out/rejects\.jsonl$"):
        account.outcome(
            strict=True, messages={Verdict.STRICT_REJECTED: "{rejected} bad, see {where}"}, where="out/rejects.jsonl"
        )
    with pytest.raises(UsageError, match=r"^empty\.jsonl holds no samples$"):
        RowAccount().outcome(source="empty.jsonl", noun="sample")


def test_reject_kept_moves_rows_without_breaking_the_balance() -> None:
    account = _account(kept=3)
    account.reject_kept("unmatched", 2, "id x", "no benchmark row has this id")
    account.check_balance()
    assert (account.kept, account.rejected) == (1, {"unmatched": 2})
    with pytest.raises(ValueError, match="cannot reject 2 of 1"):
        account.reject_kept("unmatched", 2)
