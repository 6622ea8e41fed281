"""Input credit repaid from deliveries (check-off): who pays what, when, and on whose credit.

``data`` holds the validated season and the plan's types; ``model`` the formulation and
:func:`solve_credit`; ``report`` the pre-check of what each member can repay, the reasons in
words and the result's tables; ``check`` recomputes the balances month by month from the
decisions alone; ``scenario`` builds the season from a scenario and the procurement and
markets plans. This folder never imports roads (``optimizer.geo``) or the faces.
"""

from optimizer.models.credit.check import check_credit
from optimizer.models.credit.data import (
    BALANCE_COLUMNS,
    MEMBER_COLUMNS,
    PAYMENT_COLUMNS,
    SCHEDULE_COLUMNS,
    CreditData,
    CreditResult,
)
from optimizer.models.credit.model import solve_credit
from optimizer.models.credit.report import repayable, unpaid_reasons

__all__ = [
    "BALANCE_COLUMNS",
    "MEMBER_COLUMNS",
    "PAYMENT_COLUMNS",
    "SCHEDULE_COLUMNS",
    "CreditData",
    "CreditResult",
    "check_credit",
    "repayable",
    "solve_credit",
    "unpaid_reasons",
]
