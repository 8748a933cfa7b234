"""The probes, one a feature: each asks a server under probe (``Probed``)
with real clients and reads what its app recorded; the result is a cell."""

import json
from collections.abc import Callable, Sequence
from typing import Any

from scripts.matrix import app, catalog
from scripts.matrix.catalog import HANGS, NO, PARTIAL, VALUE, YES
from scripts.matrix.probed import SERIAL, Probed
from scripts.net import clients
from scripts.net.clients import TIMED_OUT, Left, Reply
from scripts.net.exchanges import COMPLETE, NOT_SPOKEN, RESET

Cell = dict[str, Any]


class ProbeError(Exception):
    """A probe that could not measure: the command fails, naming the cell."""


class Hangs(Exception):
    """A server that started, stays up and does not answer: a cell."""


def cell(
    result: str, reply: Reply | None = None, *, note: str = "",
    value: str | None = None, exception: str | None = None,
    extensions: list[str] | None = None, seconds: float | None = None,
    **observed: Any,
) -> Cell:
    """One cell: the categorical fields first, then timing and raw data; a
    ``reply`` gives its status and seconds, and is observed."""
    if reply is not None:
        observed = {"reply": reply.as_json(), **observed}
        seconds = reply.seconds if seconds is None else seconds
    data: Cell = {
        "result": result, "value": value,
        "status": reply.status if reply else None, "exception": exception,
        "extensions": extensions, "note": note or None,
        "seconds": None if seconds is None else round(seconds, 4),
        "observed": observed or None,
    }
    kept = ("status", "exception")
    return {k: v for k, v in data.items() if v is not None or k in kept}


def no_reply(reply: Reply, problems: Sequence[str] = (), handshake: int = 0,
             **fields: Any) -> Cell:
    """A request that got no status line at all; a reset no sooner than
    the server's ``handshake`` timeout allows is that timeout."""
    note = f"connection {reply.ending}, no reply"
    if reply.ending == TIMED_OUT:
        note = f"no reply in {reply.seconds:.0f} s"
    elif reply.ending == RESET and handshake and (
            reply.seconds >= handshake - 1):
        note = f"no reply, reset at its {handshake} s handshake timeout"
    result = HANGS if reply.ending in (TIMED_OUT, clients.REFUSED) else NO
    return cell(result, reply, note="; ".join([*problems, note]), **fields)


def short(exception: str | None) -> str:
    return (exception or "").rsplit(".", 1)[-1]


def probe_spec(probed: Probed, websocket: bool) -> Cell:
    """The scope's spec_version and extensions, as the app saw them (a
    reply that is not its JSON fails the probe)."""
    port, timeout = probed.port, probed.profile.timeout
    text: str | bytes | None
    if websocket:
        text = clients.websocket_text(port, "/scope", timeout)
        if text is None:
            raise Hangs("no WebSocket message from /scope")
    elif (reply := clients.http1(port, "/scope", timeout=timeout)).status:
        text = reply.body
    else:
        return no_reply(reply)
    scope = json.loads(text)
    return cell(VALUE, value=scope["asgi"].get("spec_version") or "unset",
                extensions=scope["extensions"], asgi=scope["asgi"])


def probe_close_before_accept(probed: Probed) -> Cell:
    reply = clients.websocket_handshake(
        probed.port, "/close", probed.profile.timeout)
    if reply.status is None:
        return no_reply(reply)
    return cell(YES, reply) if reply.status == 403 else cell(
        NO, reply, note=f"the client gets {reply.status}")


def _sent(probed: Probed, tag: str, reply: Reply) -> tuple[Any, list[str]]:
    """The app's record of its sends, and "not advertised" if it was not."""
    seen = probed.event(tag, 1.0 if reply.status else 0.2) or {}
    return seen, ["not advertised"] if seen and not seen["advertised"] else []


def _denial(probed: Probed, parts: int) -> Cell:
    """The client waits past the server's own handshake timeout, if any."""
    tag = f"denial-{next(SERIAL)}"
    reply = clients.websocket_handshake(
        probed.port, f"/deny?id={tag}&parts={parts}",
        probed.profile.timeout + probed.handshake)
    seen, problems = _sent(probed, tag, reply)
    if exception := seen.get("exception"):
        problems.append(f"{seen['failed']} raises {short(exception)}")
    if reply.status is None:
        return no_reply(reply, problems, probed.handshake,
                        exception=exception, app=seen)
    if reply.status != app.DENIAL_STATUS:
        problems.insert(0, f"the client gets {reply.status}")
        return cell(NO, reply, exception=exception, note="; ".join(problems),
                    app=seen)
    if reply.body != app.DENIAL_BODY:
        problems.append("body missing" if not reply.body else "body cut")
    if reply.header("x-probe") != "denied":
        problems.append("headers lost")
    if reply.header("upgrade") or reply.header("sec-websocket-accept"):
        problems.append("the 401 carries the upgrade headers")
    if reply.ending != COMPLETE:
        problems.append(f"reply ends: {reply.ending}")
    return cell(PARTIAL if problems else YES, reply, exception=exception,
                note="; ".join(problems), app=seen)


def _trailers(probed: Probed, http2: bool) -> Cell:
    """One trailers message, then two: the cell is the worse of the two
    (one message's says so), observing the other."""
    one = _trailers_sent(probed, http2, 1)
    if one["result"] == catalog.NOT_APPLICABLE:
        return one
    two = _trailers_sent(probed, http2, 2)
    rank = catalog.BEST_FIRST.index
    if rank(one["result"]) > rank(two["result"]):  # one fares worse: say so
        one["note"] = f"with one trailers message: {one.get('note', '')}"
        one["observed"] = {**one["observed"], "two_messages": two["observed"]}
        return one
    two["observed"] = {**two["observed"], "one_message": one["observed"]}
    return two


def _trailers_sent(probed: Probed, http2: bool, count: int) -> Cell:
    """``count`` trailers messages over HTTP/1.1 or HTTP/2, ``te: trailers``
    (where one alone did not arrive, the cell of one message is worse)."""
    tag = f"trailers-{next(SERIAL)}"
    get = clients.http2 if http2 else clients.http1
    reply = get(probed.port, f"/trailers?id={tag}&count={count}",
                [("te", "trailers")], probed.profile.timeout)
    if http2 and reply.ending == NOT_SPOKEN:
        return cell(catalog.NOT_APPLICABLE, reply, note="no cleartext HTTP/2")
    if reply.status is None:
        return no_reply(reply)
    seen, problems = _sent(probed, tag, reply)
    exception = seen.get("exception")
    whole = reply.body == b"".join(app.TRAILER_BODY)
    if reply.ending != COMPLETE or not whole:
        what = ("the chunked body never ends" if whole
                else "the body is cut short")
        return cell(HANGS if reply.ending == TIMED_OUT else NO, reply,
                    exception=exception, app=seen,
                    note=f"{what} (connection {reply.ending})")
    names = {name.decode() for name, _ in app.TRAILERS[:count]}
    got = [name for name, _ in reply.trailers if name in names]
    result = PARTIAL if problems else YES
    if 0 < len(got) < count:
        problems.append("one trailers message arrives; a second is lost")
        result = PARTIAL
    elif not got:
        raised = f"the app's send raises {short(exception)}"
        problems.append(raised if exception else "dropped silently")
        result = NO
    return cell(result, reply, exception=exception, note="; ".join(problems),
                app=seen)


def _left(
    probed: Probed, leave: Callable[[int, str, float], Left | None],
    path: str, seconds: float,
) -> tuple[Left, dict[str, Any]]:
    """The client leaves after the first message; the app watches for
    ``seconds``: when the client left, and what the app recorded."""
    tag = f"{path[1:]}-{next(SERIAL)}"
    gone = leave(probed.port, f"{path}?id={tag}&seconds={seconds}",
                 probed.profile.timeout)
    if gone is None:
        raise Hangs("no first message")
    if (seen := probed.event(tag, seconds + 2.0)) is None:
        raise Hangs("the app never finished")
    return gone, seen


def probe_http_disconnect(probed: Probed) -> Cell:
    # The app returns at the disconnect: waiting long costs only where not.
    watch = 3 * probed.profile.timeout
    gone, seen = _left(probed, clients.http1_leave, "/disconnect", watch)
    if seen["disconnect"]:
        return cell(YES, seconds=seen["at"] - gone.left,
                    message_keys=seen["keys"])
    return cell(NO, note=f"no http.disconnect within {watch:.1f} s")


def sends_cell(gone: Left, seen: dict[str, Any]) -> Cell:
    """The cell for the app's record of /send, once its client is ``gone``:
    only sends after the close decide (daphne's raises inside it race)."""
    left, closed = gone.left, gone.closed
    after = sum(1 for at in seen["sends"] if at > left)
    raises = [(at, name, os) for at, name, os in seen["raises"] if at > left]
    later = [at for at in seen["sends"] if at > closed]
    later_raises = [r for r in raises if r[0] > closed]
    if not later and not later_raises:
        raise ProbeError(
            f"the app sent nothing after the connection was over "
            f"({closed - left:.2f} s after the client left)"
        )
    observed: dict[str, Any] = {
        "sends_after_leaving": after,
        "raised_inside_close": sum(1 for r in raises if r[0] <= closed),
        "sends_after_close": len(later),
        "raised_after_close": len(later_raises),
    }
    if not later_raises:
        note = f"{after} sends after the client left, none raised"
        return cell(NO, note=note, **observed)
    # A send can start after the client closed and go through before the
    # server has read the close: only a send through after a raise is mixed.
    first = later_raises[0][0]
    if through := [at for at in later if at > first]:
        raise ProbeError(
            f"after the close, {len(through)} sends went through after one "
            f"raised ({len(later_raises)} raised): no single answer"
        )
    _, exception, oserror = later_raises[0]
    seconds = raises[0][0] - left  # the first raise, inside the close or not
    if oserror:
        return cell(YES, exception=exception, seconds=seconds, **observed)
    return cell(PARTIAL, exception=exception, seconds=seconds,
                note=f"raises {short(exception)}, not an OSError", **observed)


PROBES: dict[str, Callable[[Probed], Cell]] = {
    "spec_http": lambda p: probe_spec(p, websocket=False),
    "spec_websocket": lambda p: probe_spec(p, websocket=True),
    "close_before_accept": probe_close_before_accept,
    "denial": lambda p: _denial(p, 1),
    "denial_streamed": lambda p: _denial(p, 3),
    "trailers_http1": lambda p: _trailers(p, http2=False),
    "trailers_http2": lambda p: _trailers(p, http2=True),
    "http_disconnect": probe_http_disconnect,
    "oserror_http": lambda p: sends_cell(*_left(
        p, clients.http1_leave, "/send", p.profile.watch + 0.2)),
    "oserror_websocket": lambda p: sends_cell(*_left(
        p, clients.websocket_leave, "/send", p.profile.watch + 0.2)),
}


def guarded(probed: Probed, feature: str) -> Cell:
    """A probe's cell; a probe that raises is a failure of the command."""
    try:
        return PROBES[feature](probed)
    except Hangs as hangs:
        return cell(HANGS, note=str(hangs))
    except Exception as exc:  # the probe could not measure
        name = type(exc).__name__
        return cell(HANGS, note=f"probe failed: {name}",
                    error=f"{name}: {exc}"[:200])
