"""``python -m demos NAME``: run one demo of the talk, live."""

import argparse
import math
import sys

from rich.console import Console

from demos.catalog import BY_NAME
from scripts.live import runner as live


def port_number(value: str) -> int:
    """A TCP port, 1 to 65535."""
    port = int(value)
    if not 0 < port < 65536:
        raise argparse.ArgumentTypeError(f"{value} is not a TCP port")
    return port


def seconds(value: str) -> float:
    """A positive, finite number of seconds."""
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if not (math.isfinite(number) and number > 0):
        raise argparse.ArgumentTypeError(
            f"{value} is not a positive number of seconds"
        )
    return number


def command_line() -> argparse.ArgumentParser:
    """The options of ``python -m demos``."""
    parser = argparse.ArgumentParser(
        prog="python -m demos",
        description=(
            "Start a demo's server, run a scripted client against it and "
            "show both sides in one timeline."
        ),
    )
    parser.add_argument("name", nargs="?", help="the demo to run")
    parser.add_argument(
        "--port", type=port_number, default=8000,
        help="the port to serve on (default: 8000)",
    )
    parser.add_argument(
        "--serve", action="store_true",
        help="only serve the demo, until Ctrl-C, and print a command to try",
    )
    parser.add_argument(
        "--list", action="store_true", help="list the demos and exit"
    )
    parser.add_argument(
        "--interval", type=seconds, metavar="SECONDS",
        help=(
            "seconds between the app's sends, instead of the slide's: "
            f"for {', '.join(live.paced_demos())}"
        ),
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    """Parse the command line and run the demo it names."""
    cli = command_line()
    args = cli.parse_args(argv)
    if args.list:
        live.print_demos(Console(highlight=False))
        return 0
    errors = Console(stderr=True, highlight=False)
    if args.name is None:
        cli.print_usage(sys.stderr)
        live.print_demos(errors)
        return 2
    demo = BY_NAME.get(args.name)
    if demo is None:
        errors.print(f"Unknown demo: {args.name!r}.", style="bold red")
        live.print_demos(errors)
        return 2
    if args.interval is not None and not demo.pace:
        errors.print(
            f"The demo {demo.name!r} sends at no set interval; --interval "
            f"applies to {', '.join(live.paced_demos())}.",
            style="bold red",
        )
        return 2
    return live.run(
        demo, args.port, serve=args.serve, interval=args.interval
    )


if __name__ == "__main__":
    sys.exit(main())
