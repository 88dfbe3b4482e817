"""The command line, and the only composition root: concrete objects are built here.

Exit codes: 0 success; 1 a SchedulerError (printed as one line, plus a hint), or a command
that found problems (``check``, ``lint``); 2 bad usage (argparse); 3 a bug (traceback);
130 interrupted. With ``--json`` the same codes, and a failure is also a JSON document on
standard output (scheduler.cli.jsonout).

Imports of heavy libraries stay inside the command functions so that ``--help``, ``check``,
``preview`` and ``plan`` start fast.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Sequence

from scheduler.cli.common import Handler, print_error
from scheduler.cli.jsonout import emit, error, wants_json
from scheduler.cli.parser import build_parser
from scheduler.errors import SchedulerError


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 0
    as_json = wants_json(args)
    try:
        return handler(args)
    except SchedulerError as exc:
        if as_json:
            emit(error(exc))
        print_error(exc)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        # `scheduler plan | head`: the reader went away; not an error of ours.
        return 0
    except Exception as exc:
        if as_json:
            emit(error(exc))
        traceback.print_exc()
        print(
            "this is a bug in the scheduler: please report it with the traceback above",
            file=sys.stderr,
        )
        return 3


__all__ = ["build_parser", "main"]
