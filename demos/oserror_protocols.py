"""uvicorn #3085's behaviour on uvicorn 0.54.0, as ``--http`` classes.

A prototype of an open pull request, not uvicorn's own code::

    uvicorn demos.raise_oserror:app \\
        --http demos.oserror_protocols:HttpToolsProtocol

As #3085 does: HTTP scopes say spec 2.5 (which adds only the WebSocket
close ``reason``, sent by uvicorn since 0.30.2; Starlette takes its 2.4
path from 2.4 on), and ``send()`` raises uvicorn's ``ClientDisconnected``
(an ``OSError``) once the client of its own request has left. It checks
after uvicorn's own ``send``, which writes nothing once the client has
gone, and may have waited for the write buffer to drain meanwhile: the
send pending when the client left raises too. (uvicorn marks only the
newest request of a connection as disconnected: a pipelined request
still running answers into the void, on stock uvicorn and #3085 alike.)
The exception is not logged when it escapes the app: the spec says the
server should not.

And a fix #3085 lacks: Starlette catches the ``OSError`` and raises its
own ``ClientDisconnect``, which #3085 would log (#2271 again; the
``Literal*`` classes show it). Here a ``ClientDisconnect`` whose chain
leads back to a ``ClientDisconnected`` is not logged either. Anything
else is logged by uvicorn as on stock, a bug in an app's disconnect
handler too, and what an app returns reaches uvicorn.
"""

from collections.abc import Awaitable, Callable
from functools import partial
from typing import Any, Protocol, cast

from starlette import types
from starlette.requests import ClientDisconnect
from starlette.types import Message, Receive, Scope
from uvicorn.protocols.http import h11_impl, httptools_impl
from uvicorn.protocols.utils import ClientDisconnected

Caught = Callable[[BaseException | None], bool]  # not logged if true
# The app may return a value: uvicorn logs one that is not None.
App = Callable[[Scope, Receive, types.Send], Awaitable[object]]


class Cycle(Protocol):
    """uvicorn's request-response cycle, of h11_impl or httptools_impl."""

    disconnected: bool


class Send(Protocol):
    """The ``send`` uvicorn passes: a method of the request's own cycle."""

    __self__: Cycle

    def __call__(self, message: Message) -> Awaitable[None]: ...


# --8<-- [start:chain]
def caused_by_disconnect(exc: BaseException | None) -> bool:
    seen = []  # Starlette re-raises it as its own: walk back, each once
    while isinstance(exc, ClientDisconnect) and exc not in seen:
        seen.append(exc)
        exc = exc.__cause__ or exc.__context__
    return isinstance(exc, ClientDisconnected)
# --8<-- [end:chain]


# --8<-- [start:trap]
def is_client_disconnected(exc: BaseException | None) -> bool:
    return isinstance(exc, ClientDisconnected)  # as #3085's except
# --8<-- [end:trap]


# --8<-- [start:prototype]
async def raise_on_disconnect(app: App, caught: Caught, scope: Scope,
                              receive: Receive, send: Send) -> object:
    async def checked_send(message: Message) -> None:
        await send(message)  # may wait to drain; a no-op once gone
        if send.__self__.disconnected:  # this request's own cycle
            raise ClientDisconnected

    scope["asgi"]["spec_version"] = "2.5"
    try:
        return await app(scope, receive, checked_send)
    except Exception as exc:
        if not caught(exc):
            raise
        return None
# --8<-- [end:prototype]


class RaiseOnDisconnect:
    """Mixed into uvicorn's HTTP protocols: wraps the app they call."""

    caught: Caught = staticmethod(caused_by_disconnect)
    app: types.ASGIApp

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # uvicorn calls it with its cycle's send, and sees what it returns.
        wrapped = partial(raise_on_disconnect, self.app, self.caught)
        self.app = cast(types.ASGIApp, wrapped)


class H11Protocol(RaiseOnDisconnect, h11_impl.H11Protocol):
    """uvicorn's h11 protocol, raising OSError after a disconnect."""


class HttpToolsProtocol(RaiseOnDisconnect, httptools_impl.HttpToolsProtocol):
    """uvicorn's httptools protocol, raising OSError after a disconnect."""


class LiteralH11Protocol(H11Protocol):
    """The #2271 trap on h11: a disconnect Starlette re-raised is logged."""

    caught = staticmethod(is_client_disconnected)


class LiteralHttpToolsProtocol(HttpToolsProtocol):
    """The #2271 trap, on httptools."""

    caught = staticmethod(is_client_disconnected)
