"""``python -m scripts.live NAME``: run one demo of the talk (cli.py)."""

import sys

from scripts.live.cli import main

sys.exit(main())
