"""A procurement run of the tiny scenario (three members, one buying locally) and helpers
that read the statements' PDFs back as text."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from babel.numbers import format_currency, format_decimal

from optimizer import load_scenario, run_model
from optimizer.scenario.scenario import Scenario
from tests.conftest import TINY

# the Babel locale each language's figures are written in, as a reader expects them
LOCALES = {"en": "en_GB", "fr": "fr_FR", "es": "es_ES", "de": "de_DE"}


@pytest.fixture(scope="session")
def tiny() -> Scenario:
    return load_scenario(TINY)


@pytest.fixture(scope="session")
def tiny_run(tiny: Scenario) -> Any:
    """The tiny scenario's procurement run (its plan verified by the independent checker
    inside ``run_model``, which raises when the check fails)."""
    run = run_model(tiny, "procurement")
    assert run.status.has_solution
    return run


def flat(text: str) -> str:
    """Text with every run of white space (line breaks, no-break spaces) as one space."""
    return re.sub(r"[\s\u00a0\u202f]+", " ", text).strip()


def pdf_text(path: Path) -> list[str]:
    """Each page's text of a PDF, flattened."""
    from pypdf import PdfReader

    return [flat(page.extract_text()) for page in PdfReader(path).pages]


def money(value: float, currency: str, code: str) -> str:
    return flat(format_currency(value, currency, locale=LOCALES[code]))


def quantity(value: float, code: str, decimals: int = 2) -> str:
    pattern = "#,##0" + ("." + "#" * decimals if decimals else "")
    return flat(format_decimal(value, format=pattern, locale=LOCALES[code]))
