"""``python -m scripts.assets``: build or check every generated picture."""

import sys

from scripts.assets.build import main

sys.exit(main())
