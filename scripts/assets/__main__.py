"""``python -m scripts.assets``: build or check every generated picture."""

from scripts.assets.build import main

raise SystemExit(main())
