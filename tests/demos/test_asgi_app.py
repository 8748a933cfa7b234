"""Slide "What is ASGI?": the bare callable answers a real request."""

import pytest
from starlette.testclient import TestClient

from demos import asgi_app
from scripts.net.clients import http1, http2
from scripts.net.exchanges import COMPLETE
from scripts.net.servers import ServerSpec
from tests.conftest import Serve, slide
from tests.demos.conftest import HTTP1_SERVERS, UVICORN_ZTTP_H2

SLIDE = slide("asgi_app")


def test_in_process() -> None:
    response = TestClient(asgi_app.app).get("/")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain"
    assert response.text == "Hello, world!"


@pytest.mark.parametrize("spec", HTTP1_SERVERS, ids=str)
def test_http1(serve: Serve, spec: ServerSpec) -> None:
    server = serve(asgi_app.app, spec)
    response = http1(server.port)
    assert response.ending == COMPLETE, SLIDE
    assert response.status == 200, SLIDE
    assert response.header("content-type") == "text/plain", SLIDE
    assert response.body == b"Hello, world!", SLIDE


def test_http2(serve: Serve) -> None:
    server = serve(asgi_app.app, UVICORN_ZTTP_H2)
    response = http2(server.port)
    assert (response.status, response.body) == (200, b"Hello, world!"), SLIDE
