"""The credit model against seasons solved by hand, its pre-check of who cannot repay, and its
independent checker (which must catch a tampered plan)."""

from __future__ import annotations

import dataclasses
import math
from typing import Any

import numpy as np
import pytest

from optimizer.errors import InputError
from optimizer.models.credit import CreditData, CreditResult, check_credit, solve_credit
from optimizer.results import Status

MONTHS = ("2026-01", "2026-02", "2026-03")


def season(**changes: Any) -> CreditData:
    """Two members, three months, one feed order of 1,000 in January (2 % discount in its month,
    net one month later), one bank line of 1,000 at 12 % a year.

    Farm A needs 600 of feed and delivers milk worth 1,000 a month (30 % may be withheld);
    Farm B needs 400 and delivers grain worth 2,000 in March (50 % may be withheld).
    """
    values: dict[str, Any] = {
        "months": MONTHS,
        "member_ids": ("A", "B"),
        "member_names": ("Farm A", "Farm B"),
        "inputs": np.array([[600.0, 0, 0], [400, 0, 0]]),
        "cash": np.zeros((2, 3)),
        "produce": ("milk", "grain"),
        "max_share": np.array([0.3, 0.5]),
        "deliveries": np.array([[[1000.0, 1000, 1000], [0, 0, 0]], [[0, 0, 0], [0, 0, 2000]]]),
        "order_supplier": ("Feed mill",),
        "order_product": ("feed",),
        "order_month": np.array([0]),
        "order_value": np.array([1000.0]),
        "discount": np.array([0.02]),
        "net_months": np.array([1]),
        "credit_months": np.array([0]),
        "credit_rate": np.array([0.0]),
        "line_ids": ("K",),
        "line_lenders": ("Village bank",),
        "limit": np.array([1000.0]),
        "annual_rate": np.array([0.12]),
        "fee": np.array([0.0]),
        "commitment_rate": np.array([0.0]),
        "term": np.array([12]),
    }
    values.update(changes)
    return CreditData(**values)


def solved(data: CreditData) -> CreditResult:
    result = solve_credit(data, time_limit=30, gap=1e-9)
    assert result.status is Status.OPTIMAL
    check = check_credit(data, result)
    assert check.ok, check.summary()
    return result


def test_the_discount_is_worth_a_month_on_the_bank_line() -> None:
    # Paying 980 in January (2 % off) beats paying 1,000 in February: the bank charges 1 % a
    # month. January: 300 withheld from A, 680 drawn. February: 6.80 interest, 300 from A, the
    # line at 386.80. March: 3.868 interest, B's 400 repays it. Cost -20 + 6.80 + 3.868.
    data = season()
    result = solved(data)
    assert result.objective == pytest.approx(-9.332, abs=1e-6)
    assert result.line_balance[0] == pytest.approx([680.0, 386.8, 0.0])
    assert result.withheld == pytest.approx(np.array([[300.0, 300, 0], [0, 0, 400]]))
    schedule = result.schedule.set_index(["member_id", "month"])
    assert schedule.loc[("A", "2026-01"), "debt"] == pytest.approx(300.0)
    assert schedule.loc[("A", "2026-01"), "paid_out"] == pytest.approx(700.0)
    assert schedule.loc[("B", "2026-03"), "paid_out"] == pytest.approx(1600.0)
    payments = result.payments
    assert list(payments["how"]) == ["cash with 2 % discount"]
    assert payments["paid"].sum() == pytest.approx(980.0)
    # shared by debt x months: A owed 300 for one month, B 400 for two
    shares = result.members.set_index("member_id")["financing_cost"]
    assert shares["A"] == pytest.approx(-9.332 * 300 / 1100)
    assert shares["B"] == pytest.approx(-9.332 * 800 / 1100)
    assert result.balance["cash"].iloc[-1] == pytest.approx(9.332)  # refunded at settlement
    assert result.unpaid_reasons == ()


def test_a_line_fee_too_high_leaves_the_line_unused() -> None:
    # With a fee of 30 the line costs more than it saves. Without it: A's 300 of January buys
    # 306.12 of feed with the discount, A's 300 of February pays 300 at the net term, and the
    # last 393.88 goes on one month of supplier credit at 6 % a year, paid from B's March 400.
    data = season(fee=np.array([30.0]), credit_months=np.array([2]), credit_rate=np.array([0.06]))
    result = solved(data)
    early = 300 / 0.98
    late = 1000 - early - 300
    assert result.line_used[0] == 0
    assert result.objective == pytest.approx(-0.02 * early + 0.005 * late, abs=1e-6)
    assert result.settled[0] == pytest.approx([early, 300.0, late])


def test_a_short_term_is_bridged_by_supplier_credit_or_said_to_be_impossible() -> None:
    # The line must be back to 0 by the end of February. January: A's 300 and 297.03 drawn pay
    # 609.21 of feed with the discount; February: A's 300 repays 297.03 x 1.01; March: the last
    # 390.79 on one month of supplier credit at 12 % a year, from B's 400.
    data = season(term=np.array([2]), credit_months=np.array([1]), credit_rate=np.array([0.12]))
    result = solved(data)
    drawn = 300 / 1.01
    early = (300 + drawn) / 0.98
    late = 1000 - early
    assert result.line_balance[0] == pytest.approx([drawn, 0.0, 0.0])
    assert result.settled[0] == pytest.approx([early, 0.0, late])
    assert result.objective == pytest.approx(-0.02 * early + 0.01 * drawn + 0.01 * late)
    # without supplier credit the order cannot be paid by February: infeasible, said in words
    short = solve_credit(season(term=np.array([2])), time_limit=30)
    assert short.status is Status.INFEASIBLE
    assert "short of cash" in short.summary()
    assert not check_credit(season(term=np.array([2])), short).ok


def test_a_member_who_cannot_repay_is_named_with_the_reason_and_the_others_are_planned() -> None:
    # Farm C needs 500 of feed but delivers 400 of milk a month: at most 30 % = 360 by March.
    data = season(
        member_ids=("A", "B", "C"),
        member_names=("Farm A", "Farm B", "Farm C"),
        inputs=np.array([[600.0, 0, 0], [400, 0, 0], [500, 0, 0]]),
        cash=np.zeros((3, 3)),
        deliveries=np.array(
            [
                [[1000.0, 1000, 1000], [0, 0, 0]],
                [[0, 0, 0], [0, 0, 2000]],
                [[400, 400, 400], [0, 0, 0]],
            ]
        ),
        order_value=np.array([1500.0]),
        limit=np.array([2000.0]),
    )
    result = solved(data)
    members = result.members.set_index("member_id")
    assert members.loc["C", "unpaid"] == pytest.approx(140.0)
    assert members.loc["C", "withheld"] == pytest.approx(360.0)
    assert members.loc[["A", "B"], "unpaid"].tolist() == [0.0, 0.0]
    (reason,) = result.unpaid_reasons
    assert reason == (
        "Farm C delivers 1,200 EUR of milk by March 2026, owes 500 EUR, at most 30 % = 360 EUR "
        "may be withheld: 140 EUR left unpaid"
    )
    assert members.loc["C", "reason"] == reason
    assert "cannot repay" in result.summary()


def test_a_member_short_by_less_than_half_a_cent_is_planned_and_not_named() -> None:
    # Farm B's grain 799.994 in March: 50 % = 399.997 may be withheld against 400 owed
    # (an independent model's check met it: the season came back infeasible, "short of cash")
    data = season(
        deliveries=np.array([[[1000.0, 1000, 1000], [0, 0, 0]], [[0, 0, 0], [0, 0, 799.994]]])
    )
    result = solved(data)
    assert result.unpaid_reasons == ()
    whole = solved(season())
    assert result.objective == pytest.approx(whole.objective, abs=1e-6)


def test_cash_paid_up_front_is_never_withheld_again() -> None:
    # B pays its 400 in January: nothing may be withheld from its grain, and the bank line
    # carries only what A still owes.
    data = season(cash=np.array([[0.0, 0, 0], [400, 0, 0]]))
    result = solved(data)
    assert result.withheld[1].sum() == pytest.approx(0.0)
    assert result.members.set_index("member_id").loc["B", "debt_months"] == 0.0
    # January: 980 paid, 300 + 400 received, 280 drawn; February 2.80 interest, A's 300 repays
    assert result.objective == pytest.approx(-20 + 2.8, abs=1e-6)


def test_the_checker_catches_a_tampered_plan() -> None:
    data = season()
    result = solved(data)
    more = result.withheld.copy()
    more[1, 2] = 500.0  # more than B owes
    over = result.line_balance.copy()
    over[0, 0] = 1200.0  # above the limit
    late = result.settled.copy()
    late[0] = [0.0, 0.0, 1000.0]  # after the net term, with no supplier credit
    tampered = {
        "withheld beyond the debt": dataclasses.replace(result, withheld=more),
        "line over its limit": dataclasses.replace(result, line_balance=over),
        "paid outside the terms": dataclasses.replace(result, settled=late),
        "cost misreported": dataclasses.replace(result, objective=result.objective + 5),
        "cash misreported": dataclasses.replace(
            result, balance=result.balance.assign(cash=result.balance["cash"] + 1)
        ),
    }
    for case, plan in tampered.items():
        assert not check_credit(data, plan).ok, case
    unpaid = season(deliveries=np.zeros((2, 2, 3)))
    planned = solved(unpaid)
    hidden = planned.members.assign(unpaid=0.0, reason="")
    assert not check_credit(unpaid, dataclasses.replace(planned, members=hidden)).ok
    # B could repay all: leaving 100 of it unpaid, even with a reason, is caught
    less = result.withheld.copy()
    less[1, 2] -= 100.0
    excused = result.members.assign(
        unpaid=np.where(result.members["member_id"] == "B", 100.0, 0.0), reason="said so"
    )
    check = check_credit(data, dataclasses.replace(result, withheld=less, members=excused))
    assert any("could repay all but 0.00" in p for p in check.problems), check.problems


def test_bad_arrays_are_input_errors() -> None:
    with pytest.raises(InputError, match="inputs"):
        season(inputs=np.zeros((2, 2)))
    with pytest.raises(InputError, match="max_share"):
        season(max_share=np.array([0.3, 1.5]))
    with pytest.raises(InputError, match="order_month"):
        season(order_month=np.array([3]))
    with pytest.raises(InputError, match="deliveries"):
        season(deliveries=np.full((2, 2, 3), math.nan))
