"""Statements on paper, in the members' language: what each member reads and signs.

``figures`` reads a procurement run into the figures printed (never recomputing money);
``language`` holds a language's words (the gettext catalogue in ``locale/``) and its number
and date formats (Babel); ``words`` the sentences that depend on the run (the split's rule,
its stability); ``charts`` the small map and chart (matplotlib, offline); ``render`` the
Jinja2 templates in ``templates/`` and the PDFs (WeasyPrint); ``catalogue`` extracts the
messages and compiles the catalogues. This folder reads the pipeline's results and the
scenario; it holds no model rules and never imports the roads.
"""

from optimizer.statements.figures import StatementFigures, statement_figures
from optimizer.statements.language import LANGUAGES, Language, language
from optimizer.statements.render import Written, render_html, write_statements

__all__ = [
    "LANGUAGES",
    "Language",
    "StatementFigures",
    "Written",
    "language",
    "render_html",
    "statement_figures",
    "write_statements",
]
