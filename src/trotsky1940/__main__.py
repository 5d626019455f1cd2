"""Command line: ``python -m trotsky1940 VERB …``. Each verb lives in its own module."""

from __future__ import annotations

import argparse
import sys

from .authoring import build_exercises, check_data, execute, site
from .grading import cli as grade

VERBS = {
    "check-data": check_data,
    "execute": execute,
    "build-exercises": build_exercises,
    "grade": grade,
    "build-site": site,
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m trotsky1940", description=__doc__)
    sub = parser.add_subparsers(dest="verb", required=True)
    for name, module in VERBS.items():
        module.add_arguments(sub.add_parser(name, help=module.HELP, description=module.__doc__,
                                             epilog=getattr(module, "EPILOG", None),
                                             formatter_class=argparse.RawDescriptionHelpFormatter))
    args = parser.parse_args(argv)
    return VERBS[args.verb].run(args)


if __name__ == "__main__":
    sys.exit(main())
