"""What the notes say each demo does, computed from the demo itself: each
function runs a demo in process (Starlette's TestClient), or reads its
constants, the matrix it was measured in, or its recording, and builds the
sentence the notes should contain. tests/deck/test_editorial.py checks
the notes of the slide that shows the demo against them.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable

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
from scripts import transcripts
from scripts.common import ROOT, rounded

BENCH = json.loads((ROOT / "assets/bench_disconnect.json").read_text())
MATRIX = json.loads((ROOT / "assets/support_matrix.json").read_text())


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
    """The close code the recorded run saw (uvicorn, the client gone)."""
    rows = [row.text.plain for row in transcripts.load("ws_disconnect")]
    [code] = {found[1] for row in rows
              if (found := re.search(r"Client disconnected \(code (\d+)\)",
                                     row))}
    return [f"WebSocketDisconnect (code {code})"]


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


