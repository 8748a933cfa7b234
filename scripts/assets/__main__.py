"""``python -m scripts.assets``: build or check every generated picture."""

from scripts.assets.generator import main

raise SystemExit(main())
