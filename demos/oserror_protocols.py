"""uvicorn #3085's behaviour on uvicorn 0.54.0, as ``--http`` classes.

A prototype of an open pull request, not uvicorn's own code::

    uvicorn demos.raise_oserror:app \\
        --http demos.oserror_protocols:HttpToolsProtocol

HTTP scopes say spec 2.4, ``send()`` raises uvicorn's ``ClientDisconnected``
(an ``OSError``) once the client has left, and an exception that escapes
the app because of it is not logged: the spec says the server should not.
"""

from collections.abc import Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http import h11_impl, httptools_impl
from uvicorn.protocols.utils import ClientDisconnected

Recognise = Callable[[BaseException | None], bool]


# --8<-- [start:prototype]
def caused_by_disconnect(exc: BaseException | None) -> bool:
    while exc is not None and not isinstance(exc, ClientDisconnected):
        exc = exc.__cause__ or exc.__context__  # Starlette re-raises it
    return exc is not None


def raise_on_disconnect(
    app: ASGIApp, left: Callable[[], bool], recognise: Recognise
) -> ASGIApp:
    async def asgi(scope: Scope, receive: Receive, send: Send) -> None:
        async def checked_send(message: Message) -> None:
            if left():
                raise ClientDisconnected
            await send(message)

        scope["asgi"]["spec_version"] = "2.4"
        try:
            await app(scope, receive, checked_send)
        except Exception as exc:
            if not recognise(exc):
                raise
    return asgi
# --8<-- [end:prototype]


def is_client_disconnected(exc: BaseException | None) -> bool:
    """The trap: uvicorn's own exception only, not what it caused."""
    return isinstance(exc, ClientDisconnected)


class RaiseOnDisconnect:
    """Mixed into uvicorn's HTTP protocols: wraps the app they call."""

    recognise: Recognise = staticmethod(caused_by_disconnect)
    app: ASGIApp
    cycle: Any  # the request-response cycle of h11_impl or httptools_impl

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.app = raise_on_disconnect(self.app, self.left, self.recognise)

    def left(self) -> bool:
        """Whether the client of the request being served has gone."""
        return bool(self.cycle.disconnected)


class H11Protocol(RaiseOnDisconnect, h11_impl.H11Protocol):
    """uvicorn's h11 protocol, raising OSError after a disconnect."""


class HttpToolsProtocol(RaiseOnDisconnect, httptools_impl.HttpToolsProtocol):
    """uvicorn's httptools protocol, raising OSError after a disconnect."""


class LiteralH11Protocol(H11Protocol):
    """The #2271 trap on h11: a disconnect Starlette re-raised is logged."""

    recognise = staticmethod(is_client_disconnected)


class LiteralHttpToolsProtocol(HttpToolsProtocol):
    """The #2271 trap, on httptools."""

    recognise = staticmethod(is_client_disconnected)
