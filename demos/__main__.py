"""``python -m demos NAME``: run one demo of the talk, live."""

from scripts.live.runner import command_line as command_line
from scripts.live.runner import main as main

if __name__ == "__main__":
    raise SystemExit(main())
