"""``python -m scripts.live NAME``: run one demo of the talk (cli.py)."""

from scripts.live.cli import main

raise SystemExit(main())
