"""What the runner measures inside the demo's server, for each HTTP request:
the scope's ``asgi.spec_version`` and the asyncio tasks alive for the
response as its first body is sent (while it streams), then the same once
the app has returned. ``observe()`` wraps a demo's app in the server process
(``python -m scripts.live.launch --observe``): the demos stay as the slides
show them."""

import asyncio
import contextlib
import json
from typing import NamedTuple

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scripts.live import plural

PREFIX = "scripts.live.observe: "  # starts each line the observer prints


class Observation(NamedTuple):
    """One HTTP request, as the app saw it; ``tasks``: None, no body sent;
    ``returned``: the app has returned."""

    path: str
    spec_version: str | None
    tasks: int | None
    returned: bool = False

    def line(self) -> str:
        return PREFIX + json.dumps(self._asdict())

    def __str__(self) -> str:
        said = f"spec_version {self.spec_version or 'not set'}"
        if self.tasks is not None:
            said += f"; the response ran in {plural(self.tasks, 'task')}"
        return said + "; the app returned" * self.returned


def parse(line: str) -> Observation | None:
    """The observation a line of the server's output reports, or None."""
    if line.startswith(PREFIX):
        with contextlib.suppress(ValueError, TypeError):
            return Observation(**json.loads(line.removeprefix(PREFIX)))
    return None


def observe(app: ASGIApp) -> ASGIApp:
    """``app``, reporting an HTTP request on stdout as its first body is
    sent (or it ends without one), and again once the app returns. The tasks
    counted are those that appeared on the loop since the request began,
    and its own: the runner's clients make one request at a time."""

    async def observed(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return
        before = len(asyncio.all_tasks())  # its own task among them
        version = scope.get("asgi", {}).get("spec_version")
        seen = Observation(scope["path"], version, None)

        async def watched(message: Message) -> None:
            nonlocal seen
            if seen.tasks is None and message["type"] == "http.response.body":
                tasks = len(asyncio.all_tasks()) - before + 1
                seen = seen._replace(tasks=tasks)
                print(seen.line(), flush=True)
            await send(message)

        try:
            await app(scope, receive, watched)
        finally:
            if seen.tasks is None:
                print(seen.line(), flush=True)
            print(seen._replace(returned=True).line(), flush=True)

    return observed
