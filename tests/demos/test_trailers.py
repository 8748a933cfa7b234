"""Slides "HTTP Trailers": a Content-MD5 trailer computed while streaming."""

import base64
import hashlib
import subprocess
from collections.abc import Callable

import pytest
from fastapi import FastAPI, Request, Response
from starlette.middleware.base import RequestResponseEndpoint as CallNext
from starlette.testclient import TestClient
from starlette.types import ASGIApp

from demos import content_md5, fastapi_trailers
from scripts.net.clients import TIMEOUT, http1, http2
from scripts.net.exchanges import COMPLETE
from scripts.net.servers import ServerSpec
from tests.conftest import Serve, slide
from tests.demos.conftest import HTTP1_SERVERS, HTTP2_SERVERS, UVICORN_ZTTP_H2

TE_TRAILERS = [("te", "trailers")]


def md5_of(chunks: list[bytes]) -> str:
    """Content-MD5 as RFC 1864 defines it: base64 of the 16-byte digest."""
    return base64.b64encode(hashlib.md5(b"".join(chunks)).digest()).decode()


DEMOS = pytest.mark.parametrize(
    ("name", "app", "chunks"),
    [
        ("content_md5", content_md5.app, content_md5.CHUNKS),
        ("fastapi_trailers", fastapi_trailers.app, fastapi_trailers.CHUNKS),
    ],
    ids=["content_md5", "fastapi_trailers"],
)


def test_md5_is_base64_not_hex() -> None:
    assert md5_of([b"Hello, trailers!\n"]) == "43e/t0rcIxBnH7X8uCC/9Q=="


@DEMOS
def test_in_process(name: str, app: ASGIApp, chunks: list[bytes]) -> None:
    response = TestClient(app).get("/", headers=dict(TE_TRAILERS))
    assert response.status_code == 200
    assert response.headers["trailer"] == "content-md5"
    assert response.content == b"".join(chunks)
    trailers = response.extensions["http.response.trailers"]
    assert trailers == [(b"content-md5", md5_of(chunks).encode())]


@DEMOS
@pytest.mark.parametrize("spec", HTTP2_SERVERS, ids=str)
def test_http2_delivers_the_trailer(
    serve: Serve,
    spec: ServerSpec,
    name: str,
    app: ASGIApp,
    chunks: list[bytes],
) -> None:
    server = serve(app, spec)
    response = http2(server.port, headers=TE_TRAILERS)
    where = slide(name)
    assert response.ending == COMPLETE, where
    assert response.status == 200, where
    assert response.header("trailer") == "content-md5", where
    assert response.body == b"".join(chunks), where
    assert response.trailers == [("content-md5", md5_of(chunks))], where


@DEMOS
def test_curl_shows_the_trailer(
    serve: Serve, curl: str, name: str, app: ASGIApp, chunks: list[bytes]
) -> None:
    """The command the speaker types shows the trailer after the headers."""
    server = serve(app, UVICORN_ZTTP_H2)
    result = subprocess.run(
        [curl, "-sSv", "--http2-prior-knowledge", "-H", "TE: trailers",
         f"{server.url}/"],
        capture_output=True,
        timeout=TIMEOUT,
        check=True,
    )
    assert result.stdout == b"".join(chunks), slide(name)
    assert f"< content-md5: {md5_of(chunks)}" in result.stderr.decode(), slide(
        name
    )


@DEMOS
def test_http2_without_te_drops_the_trailer(
    serve: Serve, name: str, app: ASGIApp, chunks: list[bytes]
) -> None:
    """uvicorn sends trailers only to a client that asked with TE."""
    server = serve(app, UVICORN_ZTTP_H2)
    response = http2(server.port)
    where = slide(name)
    assert response.ending == COMPLETE, where
    assert response.body == b"".join(chunks), where
    assert response.trailers == [], where


@DEMOS
@pytest.mark.parametrize("spec", HTTP1_SERVERS, ids=str)
def test_http1_without_the_extension_serves_the_body(
    serve: Serve,
    server_errors: Callable[[], list[str]],
    spec: ServerSpec,
    name: str,
    app: ASGIApp,
    chunks: list[bytes],
) -> None:
    """No server advertises trailers on HTTP/1.1 (zttp's HTTP/1.1 side
    included): no Trailer header, the full body, and no error."""
    server = serve(app, spec)
    response = http1(server.port, headers=TE_TRAILERS)
    where = slide(name)
    assert response.ending == COMPLETE, where
    assert response.status == 200, where
    assert response.header("trailer") is None, where
    assert response.body == b"".join(chunks), where
    assert response.trailers == [], where
    assert server_errors() == [], where


def behind_http_middleware() -> FastAPI:
    """fastapi_trailers' endpoint behind an ``@app.middleware("http")``
    that only passes the request on (Starlette's BaseHTTPMiddleware)."""
    app = FastAPI()
    app.get("/")(fastapi_trailers.download)

    @app.middleware("http")
    async def pass_on(request: Request, call_next: CallNext) -> Response:
        return await call_next(request)

    return app


def test_http_middleware_drops_the_trailers_it_announces(serve: Serve) -> None:
    """Starlette 1.10's BaseHTTPMiddleware keeps the Trailer header and
    drops the trailers (Starlette #3564, open, keeps them)."""
    server = serve(behind_http_middleware(), UVICORN_ZTTP_H2)
    response = http2(server.port, headers=TE_TRAILERS)
    where = slide("fastapi_trailers")
    assert response.ending == COMPLETE, where
    assert response.header("trailer") == "content-md5", where
    assert response.body == b"".join(fastapi_trailers.CHUNKS), where
    assert response.trailers == [], where
