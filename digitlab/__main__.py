"""Command line: ``python -m digitlab {verify,fetch,reproduce}``."""

from __future__ import annotations

import argparse
import sys

from .data import MNISTFileError, data_root
from .fetch import fetch, verify


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m digitlab", description="digitlab's data and experiments")
    commands = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("verify", "report the state of the MNIST files"),
        ("fetch", "download missing or damaged MNIST files"),
    ):
        sub = commands.add_parser(name, help=text)
        sub.add_argument("--root", help="data folder (default: $DIGITLAB_DATA or the repository's data/)")
    sub = commands.add_parser(
        "reproduce", help="run the report's experiments, write results/results.json and print the results table"
    )
    sub.add_argument("--figures", metavar="DIR", help="also write figures 11 and 12 as PNG files into DIR")
    sub.add_argument("--output", metavar="FILE", help="write the results here (default: the repository's results/)")
    args = parser.parse_args(argv)

    if args.command == "reproduce":
        from .reproduce import main as reproduce

        return reproduce(args.figures, args.output)
    try:
        folder = data_root(args.root)
        if args.command == "verify":
            problems = verify(folder)
            for name, problem in problems.items():
                print(f"ok   {folder / name}" if problem is None else f"BAD  {folder / name}\n     {problem}")
            return 0 if not any(problems.values()) else 1
        for name, source in fetch(folder).items():
            print(f"{name}: {'already intact' if source == 'ok' else 'downloaded from ' + source}")
    except MNISTFileError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
