"""``nas-ops operators list`` and ``nas-ops operators show NAME``."""

from __future__ import annotations

import argparse
import inspect

_COLUMNS = ("name", "family", "arity", "direction", "description")


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("operators", help="list or describe variation operators")
    sub = parser.add_subparsers(dest="operators_command", required=True)
    lst = sub.add_parser("list", help="table of every registered operator")
    lst.set_defaults(func=cmd_list)
    show = sub.add_parser("show", help="metadata and documentation of one operator")
    show.add_argument("name", help="operator name (see `nas-ops operators list`)")
    show.set_defaults(func=cmd_show)


def format_table(rows: list[dict[str, object]]) -> str:
    cells = [[str(r[c]) for c in _COLUMNS] for r in rows]
    widths = [max(len(c), *(len(row[k]) for row in cells)) for k, c in enumerate(_COLUMNS)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(_COLUMNS, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)).rstrip()
              for row in cells]
    return "\n".join(lines)


def cmd_list(args: argparse.Namespace) -> int:
    from nas_ops.variation import list_operators  # torch: not for --help

    print(format_table(list_operators()))
    return 0


def cmd_show(args: argparse.Namespace) -> int:
    from nas_ops.variation import get_operator  # torch: not for --help

    op = get_operator(args.name)  # UnknownNameError -> one line, exit 2
    meta = op.metadata()
    for key, value in meta.items():
        print(f"{key}: {value}")
    doc = inspect.getdoc(getattr(op, "fn", None) or type(op)) or ""
    if doc:
        print()
        print(doc)
    return 0
