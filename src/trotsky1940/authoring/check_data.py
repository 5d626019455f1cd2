"""Validate the data set and print how many rows each table has (``python -m trotsky1940 check-data``).

Run it after editing a CSV file: it names the file, line and column of the first problem it finds.
"""

from __future__ import annotations

import argparse
import sys

from .. import data

HELP = "validate data/ and print the row counts"
EPILOG = """\
Examples:
  check the module's own data after editing a CSV file:
    python -m trotsky1940 check-data
  check a copy of the data somewhere else:
    python -m trotsky1940 check-data ~/my-copy/data

Exit codes: 0 every table is valid; 1 a problem was found (the message names the file, line and column).
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("folder", nargs="?", default=None, help="data folder (default: the module's data/)")


def run(args: argparse.Namespace) -> int:
    from .. import documents

    try:
        evidence = data.load(args.folder)
        docs = documents.load(args.folder)
    except (data.DataError, FileNotFoundError) as exc:
        print(f"data problem: {exc}", file=sys.stderr)
        return 1
    for name in data.RECORD_TYPES:
        print(f"{name + '.csv':24} {len(getattr(evidence, name)):4d} rows")
    print(f"{'documents.csv':24} {len(docs.documents):4d} rows")
    uncertain = sum(e.uncertain for e in evidence.events)
    print(f"all tables valid; {uncertain} events are disputed or unconfirmed, each linked to its dispute")
    return 0
