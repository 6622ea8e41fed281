"""The command line (``optimizer``), a face: it parses, calls the pipeline and prints.

``main`` holds the typer application and the ``validate``, ``demo``, ``solve`` and ``network``
commands; ``commands`` the ``compare`` and ``app`` commands. Bad input ends in one ``error:``
line and exit code 2. No model rule lives here.
"""

from optimizer.cli.main import main

__all__ = ["main"]
