"""The speaker notes: one paragraph per line, and every fact they state
about a demo (a status, a header, a body, the token, a trailer, a count)
is what the demo does, computed here from the demo itself.

Each check runs the demo in process (Starlette's TestClient) or reads its
constants, builds the sentence the notes should contain, and fails naming
the slide when the notes say something else.
"""

import base64
import hashlib
import itertools
import json
from collections.abc import Callable
from pathlib import Path

import pytest
from starlette.testclient import TestClient, WebSocketDenialResponse
from starlette.websockets import WebSocketDisconnect

from demos import (
    asgi_app,
    content_md5,
    streaming_response,
    ws,
    ws_http_exception,
    ws_send_denial_response,
    ws_with_token,
)
from scripts.common import rounded
from tests.deck.slides import ROOT, Slide, read_deck

BENCH = json.loads((ROOT / "assets/bench_disconnect.json").read_text())
MATRIX = json.loads((ROOT / "assets/support_matrix.json").read_text())


def slide_showing(picture: str) -> Slide:
    [slide] = [
        s for s in read_deck().slides
        if any(p.url == picture for p in s.pictures)
    ]
    return slide


def denied(app: object, path: str) -> WebSocketDenialResponse:
    with (
        pytest.raises(WebSocketDenialResponse) as refused,
        TestClient(app).websocket_connect(path),  # type: ignore[arg-type]
    ):
        pass
    return refused.value


def closed_before_accept(app: object, path: str) -> int:
    """The close code of an app that closes before accepting (a 403 on
    the wire); fails if it accepts or sends a denial response."""
    with (
        pytest.raises(WebSocketDisconnect) as closed,
        TestClient(app).websocket_connect(path),  # type: ignore[arg-type]
    ):
        pass
    assert not isinstance(closed.value, WebSocketDenialResponse)
    return closed.value.code


def close_before_accept_status() -> int:
    """What the matrix measured for a close before accept, on every server."""
    statuses = {
        server["cells"]["close_before_accept"]["status"]
        for server in MATRIX["servers"]
        if "close_before_accept" in server["cells"]
    }
    assert len(statuses) == 1, statuses
    return int(statuses.pop())


def asgi_app_facts() -> list[str]:
    response = TestClient(asgi_app.app).get("/")
    return [f'{response.status_code}, "{response.text}"']


def ws_facts() -> list[str]:
    closed_before_accept(ws.app, "/ws")
    return [f"on every server: {close_before_accept_status()}, empty body"]


def ws_send_denial_response_facts() -> list[str]:
    response = denied(ws_send_denial_response.app, "/ws")
    header = response.headers["www-authenticate"]
    return [
        f"a {response.status_code} with WWW-Authenticate: {header} and "
        f'the body "{response.text}"'
    ]


def ws_http_exception_facts() -> list[str]:
    response = denied(ws_http_exception.app, "/ws")
    assert set(json.loads(response.text)) == {"detail"}, response.text
    return [f"a real {response.status_code} with the usual JSON body"]


def ws_with_token_facts() -> list[str]:
    token = ws_with_token.TOKEN
    with TestClient(ws_with_token.app).websocket_connect(
        f"/ws?token={token}"
    ) as accepted:
        accepted.receive_text()
    wrong = denied(ws_with_token.app, "/ws?token=wrong")
    detail = json.loads(wrong.text)["detail"]
    closed_before_accept(ws_with_token.app, "/ws")
    return [
        f'a wrong one gets {wrong.status_code} "{detail}"',
        f"so the client sees a {close_before_accept_status()}",
        f"The token is {token}",
    ]


def content_md5_facts() -> list[str]:
    response = TestClient(content_md5.app).get(
        "/", headers={"TE": "trailers"}
    )
    [(name, value)] = response.extensions["http.response.trailers"]
    digest = base64.b64encode(hashlib.md5(response.content).digest())
    assert value == digest, "content_md5 trails the MD5 of another body"
    return [f"the {name.decode()} trailer arrives after the body"]


def wasted_work_facts() -> list[str]:
    """The wasted-work notes turn the benchmark's count into seconds at
    the demos' own delay."""
    [send_only] = [
        r for r in BENCH["wasted_work"]["results"]
        if (r["server"], r["transport"], r["pattern"])
        == ("uvicorn", "http", "send_only")
    ]
    count = int(rounded(send_only["chunks_after"]["median"]))
    delay = streaming_response.DELAY
    return [
        f"At the demos' real {delay:g} s delay, that is "
        f"{rounded(count * delay, 1).normalize():f} seconds of streaming"
    ]


def ws_disconnect_facts() -> list[str]:
    """1006 is seen on the wire, by tests/demos/test_disconnect.py."""
    wire = (ROOT / "tests/demos/test_disconnect.py").read_text("utf-8")
    assert '"Client disconnected (code 1006)"' in wire
    return ["WebSocketDisconnect (code 1006)"]


FACTS: list[tuple[str, Callable[[], list[str]]]] = [
    ("assets/asgi.svg", asgi_app_facts),
    ("assets/asgi_innovations/ws.svg", ws_facts),
    ("assets/asgi_innovations/ws_send_denial_response.svg",
     ws_send_denial_response_facts),
    ("assets/asgi_innovations/ws_http_exception.svg", ws_http_exception_facts),
    ("assets/asgi_innovations/ws_with_token.svg", ws_with_token_facts),
    ("assets/asgi_innovations/content_md5.svg", content_md5_facts),
    ("assets/bench_wasted.svg", wasted_work_facts),
    ("assets/asgi_innovations/ws_disconnect.svg", ws_disconnect_facts),
]


@pytest.mark.parametrize(
    ("picture", "facts"), FACTS, ids=[Path(p).stem for p, _ in FACTS]
)
def test_notes_state_what_the_demo_does(
    picture: str, facts: Callable[[], list[str]]
) -> None:
    slide = slide_showing(picture)
    notes = " ".join(slide.notes)
    for fact in facts():
        assert fact in notes, (
            f"{slide.where()}: its notes should say {fact!r}, as the demo does"
        )


def test_notes_hold_one_paragraph_per_line() -> None:
    """The presenter view wraps the notes itself: a line that goes on with
    the sentence of the line before it is a hard wrap. Only a list item,
    or a line after one that ends with a colon, may follow a line."""
    wrapped = []
    for slide in read_deck().slides:
        for note in slide.notes:
            lines = note.splitlines()
            for before, line in itertools.pairwise(lines):
                if not (before.strip() and line.strip()):
                    continue
                if line.lstrip().startswith("- ") or before.endswith(":"):
                    continue
                wrapped.append(f"{slide.where()}: {line.strip()[:50]!r}")
    assert wrapped == [], f"{len(wrapped)} hard-wrapped lines: {wrapped[:6]}"
