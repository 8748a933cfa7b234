"""``python -m scripts.peer``: uvicorn's own tests on the prototype."""
from scripts.peer.run import main

raise SystemExit(main())
