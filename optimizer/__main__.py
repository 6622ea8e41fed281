"""``python -m optimizer``: the command line, as the ``optimizer`` console script runs it."""

from optimizer.cli.main import main

if __name__ == "__main__":
    main()
