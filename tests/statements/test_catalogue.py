"""The translation catalogue: every message of the code and the templates is translated in
every language, with the same placeholders, and the shipped ``.mo`` files are the ``.po``
files compiled (a language is one ``.po`` file; ``python -m optimizer.statements.catalogue``
compiles it)."""

from __future__ import annotations

import re
import tomllib
from fnmatch import fnmatch
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from optimizer.statements.catalogue import extract, mo_bytes, po_path
from optimizer.statements.language import LANGUAGES, language
from tests.conftest import ROOT

TRANSLATED = [code for code in LANGUAGES if code != "en"]
PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@pytest.fixture(scope="module")
def messages() -> set[str]:
    found = {m.id for m in extract() if m.id}
    assert len(found) > 50  # the templates' words are extracted, not only the code's
    return found


@pytest.mark.parametrize("code", TRANSLATED)
def test_every_message_is_translated(code: str, messages: set[str]) -> None:
    with po_path(code).open("rb") as file:
        catalogue = read_po(file)
    translated = {m.id: m.string for m in catalogue if m.id and not m.fuzzy}
    missing = sorted(messages - {k for k, v in translated.items() if v})
    assert not missing, missing
    for message in messages:
        assert set(PLACEHOLDER.findall(message)) == set(PLACEHOLDER.findall(translated[message]))


@pytest.mark.parametrize("code", TRANSLATED)
def test_the_shipped_mo_is_the_po_compiled(code: str) -> None:
    assert po_path(code).with_suffix(".mo").read_bytes() == mo_bytes(code)


@pytest.mark.parametrize("code", TRANSLATED)
def test_a_language_speaks_its_own_words(code: str) -> None:
    assert language(code).gettext("Your bill") not in ("", "Your bill")


def test_the_wheel_ships_the_templates_and_catalogues() -> None:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = data["tool"]["setuptools"]["package-data"]["optimizer"]
    package = ROOT / "optimizer"
    needed = [
        *(package / "statements" / "templates").glob("*.html"),
        *(package / "statements" / "locale").rglob("*.mo"),
    ]
    assert len(needed) >= 4 + len(TRANSLATED)
    for path in needed:
        relative = path.relative_to(package).as_posix()
        assert any(fnmatch(relative, pattern) for pattern in patterns), relative


def test_an_unknown_language_is_named_with_the_ones_offered() -> None:
    from optimizer.errors import InputError

    with pytest.raises(InputError, match="en, de, es or fr"):
        language("it")
    assert Path(po_path("fr")).is_file()
