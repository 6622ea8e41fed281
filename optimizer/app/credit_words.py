"""The credit page's words: what the season's last month of cash means."""

from __future__ import annotations

import pandas as pd

from optimizer.io.format import format_number

__all__ = ["season_end_note"]

_CENT = 0.005


def season_end_note(balance: pd.DataFrame, members: pd.DataFrame, currency: str) -> str | None:
    """Why the cooperative's cash is not zero in the season's last month, or None when it is.

    The plan repays every credit line by then; what is left is the financing cost (settled
    with the members at the season's end, in proportion to the credit each used; negative when
    the cash discounts are worth more than the interest) and the debt members cannot repay:
    ``cash = -(financing cost) - (debt left unpaid)``.
    """
    if balance.empty:
        return None
    cash = float(balance["cash"].iloc[-1])
    if abs(cash) < _CENT:
        return None
    month = str(balance["month"].iloc[-1])
    financing = float(members["financing_cost"].sum()) if not members.empty else 0.0
    unpaid = float(members["unpaid"].sum()) if not members.empty else 0.0
    debtors = int((members["unpaid"] > _CENT).sum()) if not members.empty else 0
    settle = "in proportion to the credit each used"
    debt = ""
    if unpaid >= _CENT:
        who = "1 member" if debtors == 1 else f"{debtors} members"
        debt = f"the debt {who} cannot repay this season ({format_number(unpaid, currency)})"
    if financing >= _CENT:
        cost = (
            f"the financing cost ({format_number(financing, currency)}), which members settle "
            f"at the season's end {settle}"
        )
        what = f"{debt} and {cost}" if debt else cost
    elif financing <= -_CENT:
        surplus = (
            f"the financing surplus ({format_number(-financing, currency)}: the cash discounts "
            f"are worth more than the interest), which goes back to members {settle}"
        )
        what = f"{debt}, less {surplus}" if debt else surplus
    elif debt:
        what = debt
    else:
        return None
    return (
        f"Cash at the end of {month} is {format_number(cash, currency)}: not a shortfall of "
        f"the plan, which has repaid every credit line by then, but {what}."
    )
