"""Command line: ``python -m digitlab {verify,fetch,reproduce,path}``."""

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
    sub = commands.add_parser(
        "path", help="solve ten digits at the explorer's 51 lambdas (L2 and L1) and write the shipped path file"
    )
    sub.add_argument("--penalty", choices=("l2", "l1", "both"), default="both", help="which path to solve")
    sub.add_argument(
        "--work",
        metavar="DIR",
        help="keep each solved position here, so a second run resumes "
        "(default: path-build in $DIGITLAB_CACHE, $XDG_CACHE_HOME/digitlab or ~/.cache/digitlab)",
    )
    sub.add_argument("--output", metavar="FILE", help="the path file (default: digitlab/ten_digit_path.npz)")
    args = parser.parse_args(argv)

    if args.command == "path":
        return _path(args)

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


def _path(args) -> int:
    """Solve the requested paths; write the file once both penalties are solved at every position."""
    import hashlib
    from pathlib import Path

    from .explorer import build, shipped
    from .explorer.store import cache_root

    work = Path(args.work) if args.work else (cache_root() or Path.home() / ".cache" / "digitlab") / "path-build"
    penalties = ("l2", "l1") if args.penalty == "both" else (args.penalty,)
    paths = {p: build.build(p, work, progress=lambda line: print(line, flush=True)) for p in penalties}
    others = [p for p in ("l2", "l1") if p not in penalties]
    for penalty in others:
        if not build.complete(penalty, work):
            print(f"{penalty} is not solved yet: run `python -m digitlab path --penalty {penalty}`; no file written")
            return 1
        paths[penalty] = build.build(penalty, work, progress=lambda line: None)
    file = build.write(paths, Path(args.output) if args.output else shipped.FILE)
    pin = hashlib.sha256(file.read_bytes()).hexdigest()
    print(f"wrote {file} ({file.stat().st_size / 1e6:.1f} MB, key {shipped.path_key()})")
    if pin != shipped.SHA256:
        print(f"its SHA-256 is {pin}: put it in digitlab/explorer/shipped.py (SHA256) for the explorer to use the file")
    return 0


if __name__ == "__main__":
    sys.exit(main())
