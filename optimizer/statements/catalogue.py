"""The statements' translation catalogue: extract the messages, update the ``.po`` files,
compile them to the ``.mo`` files shipped with the package.

Every message is English in the code and the templates; ``locale/LANG/LC_MESSAGES/
statements.po`` holds its translation. After changing a message, run::

    python -m optimizer.statements.catalogue [NEW_LANGUAGE ...]

which extracts the messages (Babel: Python calls of ``gettext``, Jinja2 ``_()`` in the
templates), adds new ones to each ``.po`` (untranslated; messages no longer used are
dropped), and compiles every ``.po`` to its ``.mo``. A language is one ``.po`` file: name
a new one (``it``) on the command line to start its catalogue, translate it, run again.
"""

from __future__ import annotations

import io
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from optimizer.statements.language import DOMAIN, LANGUAGES, LOCALE_DIR

__all__ = ["compile_catalogues", "extract", "po_path", "update_catalogues"]

_HERE = Path(__file__).parent
_METHODS = [("**.py", "python"), ("templates/**.html", "jinja2.ext:babel_extract")]
_OPTIONS = {
    "templates/**.html": {
        "extensions": "jinja2.ext.i18n",
        "trim_blocks": "true",
        "lstrip_blocks": "true",
        "newstyle_gettext": "true",
    }
}


def extract() -> Catalog:
    """Every message of the code and the templates, as a catalogue template."""
    template = Catalog(project="coop-optimizer statements", charset="utf-8")
    for filename, lineno, message, comments, context in extract_from_dir(
        _HERE, _METHODS, options_map=_OPTIONS, keywords={"_": None, "gettext": None,
                                                         "ngettext": (1, 2)}
    ):  # fmt: skip
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def po_path(code: str) -> Path:
    return LOCALE_DIR / code / "LC_MESSAGES" / f"{DOMAIN}.po"


def read_catalogue(code: str) -> Catalog:
    with po_path(code).open("rb") as file:
        return read_po(file, locale=code, domain=DOMAIN)


def update_catalogues(new: tuple[str, ...] = ()) -> None:
    """Add new messages to every language's ``.po`` (English needs none); ``new`` languages
    get a catalogue of their own, every message untranslated."""
    template = extract()
    for code in dict.fromkeys((*LANGUAGES, *new)):
        if code == "en":
            continue
        path = po_path(code)
        if path.exists():
            catalogue = read_catalogue(code)
        else:
            catalogue = Catalog(locale=code, domain=DOMAIN, charset="utf-8")
        created = catalogue.creation_date  # kept, so that a run that changes nothing does not
        catalogue.update(template, no_fuzzy_matching=True)
        catalogue.creation_date = created  # change the files
        catalogue.project, catalogue.version = "coop-optimizer", ""
        catalogue.copyright_holder = "the coop-optimizer authors"
        catalogue.msgid_bugs_address = catalogue.last_translator = catalogue.language_team = ""
        catalogue.header_comment = (
            f"# The words of coop-optimizer's statements in {catalogue.locale_identifier}.\n"
            "# Compile with: python -m optimizer.statements.catalogue"
        )
        path.parent.mkdir(parents=True, exist_ok=True)
        buffer = io.BytesIO()
        write_po(buffer, catalogue, width=100, sort_output=False, ignore_obsolete=True)
        path.write_bytes(buffer.getvalue())


def mo_bytes(code: str) -> bytes:
    """The compiled catalogue of ``code``, as the ``.mo`` file holds it."""
    buffer = io.BytesIO()
    write_mo(buffer, read_catalogue(code))
    return buffer.getvalue()


def compile_catalogues() -> list[Path]:
    """Compile every ``.po`` to the ``.mo`` beside it."""
    written = []
    for po in sorted(LOCALE_DIR.glob(f"*/LC_MESSAGES/{DOMAIN}.po")):
        code = po.parent.parent.name
        mo = po.with_suffix(".mo")
        mo.write_bytes(mo_bytes(code))
        written.append(mo)
    return written


if __name__ == "__main__":
    import sys

    update_catalogues(tuple(sys.argv[1:]))
    for path in compile_catalogues():
        print(path)
