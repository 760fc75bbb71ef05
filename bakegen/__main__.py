"""The ``bakegen`` command and ``python -m bakegen``: the CLI, with Ctrl-C handled from the first moment.

Loading the CLI (typer, click, python-on-whales, jinja2, ...) takes a noticeable moment; a Ctrl-C
in it is an interrupt like any other, not a traceback.
"""

import sys


def main() -> None:
    try:
        from .cli import run

        code = run()
    except KeyboardInterrupt:
        sys.stderr.write("bakegen: error: interrupted\n")
        code = 130
    sys.exit(code)


if __name__ == "__main__":
    main()
