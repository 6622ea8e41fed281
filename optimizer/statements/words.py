"""The sentences of a statement that depend on the run: the split's rule and its stability.

Each sentence is a message of the catalogue (``lang.gettext``), filled with figures
formatted the language's way.
"""

from __future__ import annotations

from optimizer.statements.figures import AssemblyFigures, Terms
from optimizer.statements.language import Language

__all__ = ["NAMED", "rule_sentence", "stability_sentence", "stable_means", "terms_sentence"]

NAMED = 6  # names a sentence gives of a group that would leave


def rule_sentence(lang: Language, assembly: AssemblyFigures) -> str:
    """The rule of the split in one sentence."""
    rule, by_coop = assembly.rule, assembly.level == "cooperative"
    if rule == "member_least_core":
        return lang.gettext(
            "Proportional shares, moved only as far as stability needs: each member pays in "
            "proportion to what they would pay alone, changed only where a group of members "
            "would otherwise do better on its own."
        )
    if rule == "proportional":
        return lang.gettext(
            "Each member pays a share of the pooled bill in proportion to what they would pay "
            "alone, so that every member saves the same share."
        )
    if by_coop and rule == "shapley":
        return lang.gettext(
            "The savings were shared among the cooperatives by the Shapley value (each "
            "cooperative's average contribution to the savings), and within each cooperative "
            "in proportion to what each member would pay alone."
        )
    if by_coop and rule == "least_core":
        return lang.gettext(
            "The savings were shared among the cooperatives so that the group that could gain "
            "most by leaving gains as little as possible (the least core), and within each "
            "cooperative in proportion to what each member would pay alone."
        )
    if by_coop:
        return lang.gettext(
            "The pooled bill was shared among the cooperatives in proportion to the weight of "
            "the inputs they ordered, and within each cooperative in proportion to what each "
            "member would pay alone."
        )
    if rule == "shapley":
        return lang.gettext(
            "Each member pays their Shapley value: the cost they add to the pooled order, "
            "averaged over every order in which the members could join."
        )
    if rule == "least_core":
        return lang.gettext(
            "Each member's bill is set so that the group of members that could gain most by "
            "leaving gains as little as possible (the least core)."
        )
    return lang.gettext(
        "Each member pays a share of the pooled bill in proportion to the weight of the inputs "
        "ordered for them."
    )


def stable_means(lang: Language) -> str:
    """What "stable" means, in one plain sentence."""
    return lang.gettext(
        "Stable means that no group, ordering the same inputs on its own, would pay less than "
        "the sum of its bills here."
    )


def stability_sentence(lang: Language, assembly: AssemblyFigures, currency: str) -> str:
    """Whether the split is stable, or which group would gain by leaving and how much."""
    if assembly.stable:
        if assembly.level == "cooperative":
            return lang.gettext("Stable: no group of cooperatives can buy cheaper on its own.")
        return lang.gettext("Stable: no group of members can buy cheaper on its own.")
    names = assembly.gaining_group
    group = ", ".join(names[:NAMED])
    if len(names) > NAMED:  # a long group: its size and the first names (one page in all)
        if assembly.level == "cooperative":
            long = lang.gettext("%(count)s cooperatives (%(names)s and %(more)s more)")
        else:
            long = lang.gettext("%(count)s members (%(names)s and %(more)s more)")
        group = long % {"count": len(names), "names": group, "more": len(names) - NAMED}
    sentence = lang.gettext("Not stable: %(group)s would save %(gain)s by ordering on their own.")
    sentence %= {"group": group, "gain": lang.money(assembly.gain, currency)}
    if assembly.least_gain > 0:  # the core is empty: the least core's bound
        sentence += " " + lang.gettext(
            "No split can be stable here: whatever the bills, some group would save at least "
            "%(gain)s by ordering on its own."
        ) % {"gain": lang.money(assembly.least_gain, currency)}
    return sentence


def terms_sentence(lang: Language, terms: Terms | None) -> str:
    """A supplier's payment terms in words, or that the scenario gives none."""
    if terms is None:
        return lang.gettext(
            "As in the supplier's offer: the scenario gives no payment terms for this supplier."
        )
    sentence = lang.gettext("Payment due within %(days)s days.") % {"days": terms.days_to_pay}
    if terms.cash_discount > 0:
        sentence = lang.gettext(
            "%(discount)s discount if paid within %(early)s days, else the full price within "
            "%(days)s days."
        ) % {
            "discount": lang.percent(100 * terms.cash_discount),
            "early": terms.discount_days,
            "days": terms.days_to_pay,
        }
    if terms.credit_months > 0:
        sentence += " " + lang.gettext(
            "After that, supplier credit for up to %(months)s months at %(rate)s a year."
        ) % {"months": terms.credit_months, "rate": lang.percent(100 * terms.credit_rate)}
    return sentence
