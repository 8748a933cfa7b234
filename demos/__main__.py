"""``python -m demos NAME``: run one demo of the talk, live."""

import sys

from scripts.live.runner import command_line, main

__all__ = ["command_line", "main"]

if __name__ == "__main__":
    sys.exit(main())
