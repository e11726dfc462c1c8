"""What the results scripts of studies/ share: the two-command line of study_results.py and
experiment_results.py (package, summarize), the ``summarize OUT [--doc FILE]`` subcommand of
the table scripts, and their argument checks (one line on stderr, exit 2); the machine's CPU
name for provenance is :func:`nas_ops.infra.machine.cpu_name`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any


def main(description: str, source: str, package: Callable[[Path, Path, Path, str], None],
         summarize: Callable[[Path], str],
         report: Callable[[Path], None] | None = None) -> None:
    """``package SOURCE CONFIG OUT [--note]`` or ``summarize OUT [--doc FILE]``; ``source``
    names the first argument of package (a run or an experiment directory); with ``report``,
    also ``report OUT`` (the committed results' report written again)."""
    ap = argparse.ArgumentParser(description=description)
    sub = ap.add_subparsers(dest="cmd", required=True)
    p = sub.add_parser("package")
    p.add_argument(source, type=Path)
    p.add_argument("config", type=Path)
    p.add_argument("out", type=Path)
    p.add_argument("--note", default="", help="how it was made (kept in provenance.json)")
    if report is not None:
        sub.add_parser("report").add_argument("out", type=Path)
    args = parse(ap, sub, summarize)
    if args is None:
        return
    if args.cmd == "report" and report is not None:
        report(args.out.resolve())
    else:
        package(getattr(args, source), args.config, args.out.resolve(), args.note)


def add_summarize(sub: Any) -> None:
    """The ``summarize OUT [--doc FILE]`` subcommand on an argparse subparsers object."""
    s = sub.add_parser("summarize")
    s.add_argument("out", type=Path)
    s.add_argument("--doc", type=Path)


def parse(ap: argparse.ArgumentParser, sub: Any, summarize: Callable[[Path], str],
          argv: Sequence[str] | None = None) -> argparse.Namespace | None:
    """The arguments of a script whose subcommands ``sub`` holds, with ``summarize OUT [--doc
    FILE]`` added; that command is run here (its page written or printed) and answers None."""
    add_summarize(sub)
    args = ap.parse_args(argv)
    if args.cmd != "summarize":
        return args
    emit(summarize(args.out.resolve()), args.doc)
    return None


def run_parser(sub: Any, seeds: str) -> argparse.ArgumentParser:
    """The ``run OUT [--seeds FIRST:END] [--workers N]`` subcommand of a seeded study (``seeds``:
    the default range); the caller adds its own options."""
    r: argparse.ArgumentParser = sub.add_parser("run")
    r.add_argument("out", type=Path)
    r.add_argument("--seeds", default=seeds)
    r.add_argument("--workers", type=int, default=2)
    return r


def emit(text: str, doc: Path | None) -> None:
    """A generated page: written to ``doc``, or printed when none is given."""
    if doc:
        doc.write_text(text)
    else:
        print(text, end="")


def fail(text: str) -> None:
    """Bad input: one line on stderr, exit 2."""
    print(text, file=sys.stderr)
    raise SystemExit(2)


def names(text: str, what: str, valid: Sequence[str], one: str | None = None) -> list[str]:
    """The comma-separated ``--what`` values, each one of ``valid`` (``one``: what a single
    value is called, by default ``what`` without its final s)."""
    given = text.split(",")
    bad = [x for x in given if x not in valid]
    if bad:
        fail(f"--{what}: unknown {one or what[:-1]} {bad[0]!r}; valid: {', '.join(valid)}")
    return given


def seed_range(text: str) -> range:
    """``--seeds FIRST:END`` (END excluded) or one seed."""
    low, _, high = text.partition(":")
    try:
        return range(int(low), int(high)) if high else range(int(low), int(low) + 1)
    except ValueError:
        fail(f"--seeds {text!r}: give FIRST:END (END excluded), e.g. 0:1000")
        raise


def budgets(text: str, population: int | None = None, where: str = "population") -> list[int]:
    """``--budgets`` as integers; with ``population``, each must lie beyond the random start
    every arm of a seed shares (``where``: how the message names that population)."""
    try:
        wanted = [int(b) for b in text.split(",")]
    except ValueError:
        fail(f"--budgets {text!r}: give integers, e.g. 50,100,200,500")
        raise
    if population is not None and min(wanted) <= population:
        fail(f"--budgets: the smallest, {min(wanted)}, is within the shared random start "
             f"({where} {population}); give budgets above it")
    return wanted
