"""``hare data init`` and ``hare data check``: a draft spec from a person's CSV file, and a check
of the file against its spec with a summary. Nothing is written on an error.
"""

from __future__ import annotations

from pathlib import Path

from hare.data.own import MAX_CSV_BYTES, draft_from_file, read_limited, read_own, read_own_files
from hare.errors import InputError


def add_data_command(sub, parser_class) -> None:
    """Add ``data init`` and ``data check`` to ``hare``'s subparsers."""
    p = sub.add_parser("data", help="your own data: draft a spec (init), check file and spec (check)")
    verbs = p.add_subparsers(dest="verb", required=True, parser_class=parser_class)
    init = verbs.add_parser("init", help="write a draft spec from a CSV file, to edit")
    init.add_argument("csv", metavar="FILE.csv")
    init.add_argument("--outcome", required=True, help="the column the model predicts")
    init.add_argument("--positive", required=True, help="the outcome's value a person wants")
    init.add_argument("--out", default=None,
                      help="where to write the spec (default: FILE.toml beside the CSV; - for stdout)")
    init.add_argument("--force", action="store_true", help="replace an existing spec file")
    init.set_defaults(func=cmd_data_init)
    check = verbs.add_parser("check", help="check a CSV file against its spec and summarise it")
    check.add_argument("csv", metavar="FILE.csv")
    check.add_argument("--spec", required=True, metavar="SPEC.toml")
    check.set_defaults(func=cmd_data_check)


def cmd_data_init(args) -> int:
    data = read_limited(args.csv, MAX_CSV_BYTES, "data file")
    draft = draft_from_file(data, args.outcome, args.positive, Path(args.csv).name)
    read_own(data, draft, Path(args.csv).name)  # the draft must pass its own check
    if args.out == "-":
        print(draft, end="")
        return 0
    out = Path(args.out) if args.out else Path(args.csv).with_suffix(".toml")
    if out.exists() and not args.force:
        raise InputError(f"{out} exists; edit it, or pass --force to replace it")
    try:
        out.write_text(draft)
    except OSError as exc:
        raise InputError(f"cannot write {out} ({exc.strerror or exc})") from None
    print(f"wrote {out}: edit the kinds, what cannot change (mutable = false), directions and "
          f"limits, then run: hare data check {args.csv} --spec {out}")
    return 0


def cmd_data_check(args) -> int:
    own = read_own_files(args.csv, args.spec)
    print("\n".join(own.summary()))
    print(f"ok: {args.spec} matches {Path(args.csv).name} (data sha256 {own.data_hash[:16]})")
    return 0
