"""Slides "Client Disconnection", in Chromium: a page leaves a stream.

``AbortController.abort()`` on a streaming ``fetch``, and closing the tab,
close the connection as any client does: demos/disconnect_receive.py hears
``http.disconnect`` and stops at once, demos/streaming_response.py streams
on to its end while stock uvicorn drops its sends without a word. The
figures at the end of the run set these counts beside those of
tests/demos/test_disconnect.py, whose client closes its socket.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest

from demos import disconnect_receive, streaming_response
from demos.catalog import BY_NAME, DISCONNECTED, SENDING
from scripts.net.clients import TIMEOUT
from tests.browser.conftest import Front, Sent, Tab
from tests.conftest import Printed, Report, Returns, Serve, WatchPrints, slide
from tests.demos.conftest import UVICORN_HTTPTOOLS

DELAY = 0.05  # between chunks: the page leaves long before the end
READ_BEFORE_LEAVING = 2  # bytes, one a chunk
SPEC = UVICORN_HTTPTOOLS  # what `uvicorn demos.NAME:app` runs

# Read a few bytes of the stream, then read no more (and stay).
READ = """async (bytes) => {
  window.controller = new AbortController();
  const response = await fetch('/', {signal: window.controller.signal});
  const reader = response.body.getReader();
  let received = 0;
  while (received < bytes) {
    const {value, done} = await reader.read();
    if (done) break;
    received += value.length;
  }
  return received;
}"""

LEAVES: dict[str, Callable[[Tab], object]] = {
    "abort": lambda tab: tab.page.evaluate("window.controller.abort()"),
    "close": lambda tab: tab.page.close(),
}
HOW = pytest.mark.parametrize("how", list(LEAVES))


@pytest.fixture(autouse=True)
def short_delay() -> Iterator[None]:
    with BY_NAME["streaming_response"].paced(DELAY):
        yield


@dataclass
class Left:
    """What demo ``name``'s app did once the page had left its stream."""

    name: str
    received: int  # bytes the page read before it left
    leaving: float  # monotonic, just before the page left
    chunks: list[Printed]  # every "Sending" line
    after: list[Printed]  # those printed once the page was leaving
    stopped: Printed | None  # "Client disconnected"
    bodies: list[Sent]

    @property
    def where(self) -> str:  # its slide, as a failure names it
        return slide(self.name)

    @property
    def stopped_after(self) -> float | None:
        """From leaving to "Client disconnected", in seconds."""
        return None if self.stopped is None else self.stopped.at - self.leaving

    @property
    def completed(self) -> bool:
        """The app sent its final, empty body message."""
        return any(not s.message.get("more_body") for s in self.bodies)

    @property
    def dropped(self) -> list[Sent]:
        """Chunks sent once uvicorn had seen the client go."""
        return [s for s in self.bodies if s.message["body"] and
                s.after_disconnect]

    def __str__(self) -> str:  # as tests/demos/test_disconnect.py says it
        stopped = (
            "never stopped" if self.stopped_after is None
            else f"stopped after {self.stopped_after * 1000:.1f} ms"
        )
        return f"{len(self.after)} chunks after disconnect, {stopped}"


@pytest.fixture
def leave(
    serve: Serve, tab: Tab, prints: WatchPrints, figure: Report
) -> Callable[[str, str], Left]:
    """Serve demo ``name``, read a little of its stream from the page,
    leave ``how``, and wait for the app to return."""

    def left(name: str, how: str) -> Left:
        recorder = prints(disconnect_receive, streaming_response)
        returns = Returns({
            "streaming_response": streaming_response.app,
            "disconnect_receive": disconnect_receive.app,
        }[name])
        front = Front(returns)
        tab.open(serve(front, SPEC))
        received = tab.run(READ, READ_BEFORE_LEAVING)
        leaving = time.monotonic()
        LEAVES[how](tab)
        assert returns.wait(TIMEOUT), f"{slide(name)}: the app never returned"
        result = Left(
            name=name,
            received=received,
            leaving=leaving,
            chunks=recorder.since(0, SENDING),
            after=recorder.since(leaving, SENDING),
            stopped=recorder.first(DISCONNECTED),
            bodies=front.of_type("http.response.body"),
        )
        figure(name, f"{SPEC.id.removeprefix('uvicorn-')}+chromium-{how}",
               str(result))
        return result

    return left


@HOW
def test_streaming_response_streams_to_the_end(
    leave: Callable[[str, str], Left], how: str
) -> None:
    """Stock uvicorn drops the sends after the page left: none raises."""
    left = leave("streaming_response", how)
    assert left.after, (
        f"{left.where}: the app produced nothing once the browser had left "
        f"({how}; it read {left.received} bytes)"
    )
    assert left.completed, (
        f"{left.where} says the app streams on to the end when the browser "
        f"leaves ({how}); it stopped after {len(left.chunks)} chunks"
    )
    assert left.dropped, f"{left.where}: no send went to a closed connection"
    assert not [s for s in left.bodies if s.raised], (
        f"{left.where}: uvicorn raised from send() after the browser left "
        f"({how})"
    )


@HOW
def test_disconnect_receive_stops_at_once(
    leave: Callable[[str, str], Left], how: str
) -> None:
    left = leave("disconnect_receive", how)
    if (stopped := left.stopped) is None:
        pytest.fail(f"{left.where} says the app hears http.disconnect when "
                    f"the browser leaves ({how}); it never did")
    stopped_after = stopped.at - left.leaving
    assert stopped_after > 0, f"{left.where}: it stopped before the page left"
    assert not left.completed, left.where
    assert [c for c in left.chunks if c.at > stopped.at] == [], left.where
    # It stops at its first turn after the close: before its next chunk,
    # unless the machine stalled it past DELAY, and then by that much.
    assert len(left.after) <= 1 + int(stopped_after / DELAY), (left.where,
                                                               left)
