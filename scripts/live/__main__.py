"""``python -m scripts.live NAME``: run one demo of the talk (runner.py)."""

import sys

from scripts.live.runner import main

sys.exit(main())
