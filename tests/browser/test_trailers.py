"""Slides "HTTP Trailers", in Chromium: the browser never asks for them.

A server sends trailers only to a request that carries ``TE: trailers``.
``TE`` is a forbidden request header in Fetch: a page's script cannot set
it, and DevTools cannot either. Nor does any JS API expose trailers. The
demos are served as the talk serves them (uvicorn ``--http zttp
--http2``); a browser speaks HTTP/1.1 to it, since no browser speaks
cleartext HTTP/2.
"""

from __future__ import annotations

import base64
import hashlib
from types import ModuleType
from typing import Any

import pytest

from demos import content_md5, fastapi_trailers
from scripts.net.clients import http2
from tests.browser.conftest import Front, Tab
from tests.conftest import Serve, slide
from tests.demos.conftest import UVICORN_ZTTP_H2

TE_TRAILERS = ("te", "trailers")
DEMOS = pytest.mark.parametrize(
    "demo", [content_md5, fastapi_trailers],
    ids=lambda demo: demo.__name__.rpartition(".")[2],
)

FETCH_WITH_TE = """async (path) => {
  const response = await fetch(path, {headers: {TE: 'trailers'}});
  return {
    body: await response.text(),
    // what Fetch offers of trailers: the prototype's names, and the object
    api: Object.getOwnPropertyNames(Response.prototype)
      .filter((name) => /trailer/i.test(name)),
    inResponse: 'trailer' in response || 'trailers' in response,
    // the Request a script builds keeps a header it may send
    kept: [...new Request(path, {headers: {TE: 'trailers', 'X-Probe': '1'}})
      .headers.keys()],
  };
}"""

FETCH = """async (path) => {
  try {
    return await (await fetch(path)).text();
  } catch (error) {
    return String(error);
  }
}"""


def name_of(demo: ModuleType) -> str:
    return demo.__name__.rpartition(".")[2]


def serve_page(serve: Serve, tab: Tab, demo: ModuleType) -> tuple[Front, int]:
    front = Front(demo.app)
    server = serve(front, UVICORN_ZTTP_H2)
    tab.open(server)
    return front, server.port


def trailers_sent(front: Front) -> list[Any]:
    return [sent.message for sent in front.of_type("http.response.trailers")]


@DEMOS
def test_fetch_never_sends_te_nor_shows_trailers(
    serve: Serve, tab: Tab, demo: ModuleType
) -> None:
    """The server sees no TE from the browser, and sends no trailer; nor
    has Fetch's Response anything of trailers, and a script's Request drops
    TE (a forbidden header) while it keeps an ordinary one.

    Over HTTP/1.1 no server here would send one anyway; the point is that
    the browser never asks. The control, in the same test: a client that
    sends TE (h2, as curl does on the slide) is seen sending it, and gets
    the trailer from the same server.
    """
    front, port = serve_page(serve, tab, demo)
    seen = tab.run(FETCH_WITH_TE, "/")
    where = slide(name_of(demo))
    assert seen["body"] == b"".join(demo.CHUNKS).decode(), where
    assert len(front.requests) == 1, where
    names = [name for name, _ in front.requests[0]]
    assert "te" not in names, f"{where}: Chromium sent {front.requests[0]}"
    assert trailers_sent(front) == [], where
    assert seen["api"] == [], f"{where}: Fetch now has {seen['api']}"
    assert seen["inResponse"] is False, where
    assert seen["kept"] == ["x-probe"], where
    reply = http2(port, headers=[TE_TRAILERS])
    assert TE_TRAILERS in front.requests[1], where
    digest = base64.b64encode(hashlib.md5(reply.body).digest()).decode()
    assert reply.trailers == [("content-md5", digest)], where
    assert len(trailers_sent(front)) == 1, where


@DEMOS
def test_devtools_cannot_add_te(
    serve: Serve, tab: Tab, demo: ModuleType
) -> None:
    """CDP accepts TE as an extra header, then fails every request before
    it leaves (net::ERR_INVALID_ARGUMENT); an ordinary header goes out."""
    front, _ = serve_page(serve, tab, demo)
    where = slide(name_of(demo))
    headers = {"headers": {"X-Probe": "1"}}
    tab.cdp.send("Network.setExtraHTTPHeaders", headers)
    assert tab.run(FETCH, "/") == b"".join(demo.CHUNKS).decode(), where
    assert ("x-probe", "1") in front.requests[0], where
    tab.cdp.send("Network.setExtraHTTPHeaders", {"headers": {"TE": "trailers"}})
    assert tab.run(FETCH, "/") == "TypeError: Failed to fetch", where
    assert len(front.requests) == 1, f"{where}: a request with TE went out"
    tab.wait(lambda: bool(tab.console), "a console line")
    assert tab.console == [
        "Failed to load resource: net::ERR_INVALID_ARGUMENT"
    ], where
