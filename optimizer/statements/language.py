"""A statement's language: its words from the translation catalogue, its numbers and dates.

Every word printed on a statement is a message of the gettext catalogue shipped in
``locale/LANG/LC_MESSAGES/statements.mo`` (compiled from the ``.po`` beside it by
:mod:`optimizer.statements.catalogue`); numbers, money, percentages and dates are written
the language's way by Babel. English is the catalogue's source language.
"""

from __future__ import annotations

import datetime as dt
import gettext
import re
from dataclasses import dataclass
from pathlib import Path

from babel import Locale
from babel.numbers import format_currency, format_decimal, format_percent

from optimizer.errors import InputError, Problem

__all__ = ["DOMAIN", "LANGUAGES", "LOCALE_DIR", "Language", "language"]

DOMAIN = "statements"
LOCALE_DIR = Path(__file__).parent / "locale"
# English is the catalogue's source; every other language is the folder of its catalogue, so
# that a new language is one more ``locale/LANG/LC_MESSAGES/statements.po`` (compiled by
# :mod:`optimizer.statements.catalogue`)
LANGUAGES = (
    "en",
    *sorted(p.parent.parent.name for p in LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")),
)
# Babel's locale of a language where its own differs from what a European reader expects
# (7 December 2026, not December 7); the others are the language's own (fr is France's)
_LOCALES = {"en": "en_GB"}


@dataclass(frozen=True)
class Language:
    """The words and the number and date formats of one language."""

    code: str
    translations: gettext.NullTranslations

    @property
    def locale(self) -> str:
        return _LOCALES.get(self.code, self.code)

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, n: int) -> str:
        return self.translations.ngettext(singular, plural, n)

    def money(self, value: float, currency: str) -> str:
        """An amount of money, to the cent: ``1.022,76 €`` in German (never ``-0,00 €``)."""
        return format_currency(0.0 if abs(value) < 0.005 else value, currency, locale=self.locale)

    def number(self, value: float, decimals: int = 2) -> str:
        """A quantity with at most ``decimals`` decimals and the language's separators."""
        pattern = "#,##0" + ("." + "#" * decimals if decimals else "")
        return format_decimal(value, format=pattern, locale=self.locale)

    def price(self, value: float, currency: str) -> str:
        """A unit price: to the cent, with up to four decimals below 10 (``0,305 €`` a kg)."""
        return format_currency(
            round(value, 4 if abs(value) < 10 else 2),
            currency,
            locale=self.locale,
            decimal_quantization=False,
        )

    def fixed(self, value: float, decimals: int = 2) -> str:
        """A ratio with exactly ``decimals`` decimals: ``0,90``."""
        return format_decimal(value, format="#,##0." + "0" * decimals, locale=self.locale)

    def percent(self, value_pct: float) -> str:
        """A percentage given in per cent (``13.4`` is 13.4 %), to one decimal, written
        the language's way (``13,4 %`` in French)."""
        pattern = Locale.parse(self.locale).percent_formats[None].pattern
        return format_percent(
            value_pct / 100, format=re.sub(r"0(?=[^0#]*$)", "0.0", pattern), locale=self.locale
        )

    def coordinate(self, value: float) -> str:
        """A latitude or longitude in degrees, to five decimals (about a metre)."""
        return format_decimal(value, format="0.00000", locale=self.locale)

    def date(self, day: dt.date) -> str:
        from babel.dates import format_date

        return format_date(day, format="long", locale=self.locale)

    def month(self, month: str) -> str:
        """A month given as ``YYYY-MM``, named: ``septembre 2026``."""
        from babel.dates import format_skeleton

        year, number = (int(part) for part in month.split("-"))
        return format_skeleton("yMMMM", dt.date(year, number, 1), locale=self.locale)


def language(code: str) -> Language:
    """The language ``code`` (``en``, ``fr``, ``es`` or ``de``), its catalogue loaded."""
    if code not in LANGUAGES:
        raise InputError(
            Problem("--language", ", ".join(LANGUAGES[:-1]) + " or " + LANGUAGES[-1], value=code)
        )
    if code == "en":
        return Language(code, gettext.NullTranslations())
    try:
        translations = gettext.translation(DOMAIN, LOCALE_DIR, languages=[code])
    except OSError:
        raise InputError(
            Problem("--language", f"a compiled catalogue in {LOCALE_DIR}", value=code)
        ) from None
    return Language(code, translations)
