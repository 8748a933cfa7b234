"""``python -m scripts.pictures``: build or check every generated picture."""

from scripts.pictures.generator import main

raise SystemExit(main())
