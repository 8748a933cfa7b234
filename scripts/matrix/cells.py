"""The probes, one a feature: each asks a server under probe (``Probed``)
with real clients and reads what its app recorded; the result is a cell."""

import json
from collections.abc import Callable
from typing import Any

from scripts.matrix import app, catalog
from scripts.matrix.catalog import HANGS, NO, PARTIAL, VALUE, YES
from scripts.matrix.probed import Probed
from scripts.net import clients
from scripts.net.clients import (
    COMPLETE,
    NOT_SPOKEN,
    RESET,
    TIMED_OUT,
    Left,
    Reply,
)

Cell = dict[str, Any]
APP_WAIT = 1.0  # seconds for the app's record once the client has its reply


class ProbeError(Exception):
    """A probe that could not measure: the command fails, naming the cell."""


def cell(
    result: str, *, value: str | None = None, status: int | None = None,
    exception: str | None = None, extensions: list[str] | None = None,
    note: str = "", seconds: float | None = None, **observed: Any,
) -> Cell:
    """One cell: the categorical fields first, then timing and raw data."""
    data: Cell = {
        "result": result, "value": value, "status": status,
        "exception": exception, "extensions": extensions, "note": note or None,
        "seconds": None if seconds is None else round(seconds, 4),
        "observed": observed or None,
    }
    kept = ("status", "exception")
    return {k: v for k, v in data.items() if v is not None or k in kept}


def no_reply(reply: Reply) -> Cell:
    """A request that got no status line at all."""
    note = f"connection {reply.ending}, no reply"
    if reply.ending == TIMED_OUT:
        note = f"no reply in {reply.seconds:.0f} s"
    result = HANGS if reply.ending in (TIMED_OUT, clients.REFUSED) else NO
    return cell(result, note=note, reply=reply.as_json())


def short(exception: str | None) -> str:
    return (exception or "").rsplit(".", 1)[-1]


def _scope_cell(text: str | bytes) -> Cell:
    scope = json.loads(text)
    return cell(VALUE, value=scope["spec_version"] or "unset",
                extensions=scope["extensions"], asgi=scope["asgi"])


def probe_spec_http(probed: Probed) -> Cell:
    reply = clients.http1(probed.port, "/scope", timeout=probed.profile.timeout)
    if reply.status is None:
        return no_reply(reply)
    if reply.status != 200 or reply.ending != COMPLETE:
        note = f"GET /scope: {reply.status}, {reply.ending}"
        return cell(NO, status=reply.status, note=note, reply=reply.as_json())
    return _scope_cell(reply.body)


def probe_spec_websocket(probed: Probed) -> Cell:
    text = clients.websocket_text(probed.port, "/scope", probed.profile.timeout)
    if text is None:
        return cell(HANGS, note="no WebSocket message from /scope")
    return _scope_cell(text)


def probe_close_before_accept(probed: Probed) -> Cell:
    reply = clients.websocket_handshake(
        probed.port, "/close", probed.profile.timeout)
    if reply.status is None:
        return no_reply(reply)
    result = YES if reply.status == 403 else NO
    note = "" if result == YES else f"the client gets {reply.status}"
    return cell(result, status=reply.status, note=note, seconds=reply.seconds,
                reply=reply.as_json())


def _app_record(
    probed: Probed, tag: str, reply: Reply
) -> tuple[dict[str, Any], str | None, dict[str, Any]]:
    """What the app recorded, what its send raised, the observed data."""
    seen = probed.event(tag, APP_WAIT if reply.status else 0.2) or {}
    return seen, seen.get("exception"), {"reply": reply.as_json(), "app": seen}


def _denial(probed: Probed, parts: int) -> Cell:
    """The client waits past the server's own handshake timeout, if any: a
    reset no sooner than it allows is that timeout (daphne's timer rounds
    its deadline down to the whole second)."""
    tag = probed.next_id("denial")
    target = f"/deny?id={tag}&parts={parts}"
    wait = probed.profile.timeout + probed.handshake
    reply = clients.websocket_handshake(probed.port, target, wait)
    seen, exception, observed = _app_record(probed, tag, reply)
    problems = ["not advertised"] if seen and not seen.get("advertised") else []
    if exception:
        problems.append(f"{seen.get('failed')} raises {short(exception)}")
    if reply.status is None:
        base = no_reply(reply)
        if probed.handshake and reply.ending == RESET and (
                reply.seconds >= probed.handshake - 1):
            base["note"] = (f"no reply, reset at its {probed.handshake} s "
                            "handshake timeout")
        note = "; ".join([*problems, base["note"]])
        return cell(base["result"], exception=exception, note=note,
                    seconds=reply.seconds, **observed)
    if reply.status != app.DENIAL_STATUS:
        problems.insert(0, f"the client gets {reply.status}")
        return cell(NO, status=reply.status, exception=exception,
                    note="; ".join(problems), **observed)
    if reply.body != app.DENIAL_BODY:
        problems.append("body missing" if not reply.body else "body cut")
    if reply.header("x-probe") != "denied":
        problems.append("headers lost")
    if reply.header("upgrade") or reply.header("sec-websocket-accept"):
        problems.append("the 401 carries the upgrade headers")
    if reply.ending != COMPLETE:
        problems.append(f"reply ends: {reply.ending}")
    return cell(PARTIAL if problems else YES, status=reply.status,
                exception=exception, note="; ".join(problems),
                seconds=reply.seconds, **observed)


def _trailers(probed: Probed, http2: bool) -> Cell:
    """One trailers message, then two: the cell is the worse of the two,
    and says whether a single message arrives where a second is lost."""
    one, alone = _trailers_sent(probed, http2, 1, None)
    if one["result"] == catalog.NOT_APPLICABLE:
        return one
    two, _ = _trailers_sent(probed, http2, 2, alone)
    rank = catalog.BEST_FIRST.index
    if rank(one["result"]) > rank(two["result"]):  # one fares worse: say so
        one["note"] = f"with one trailers message: {one.get('note', '')}"
        one["observed"] = {**one.get("observed", {}),
                           "two_messages": two.get("observed")}
        return one
    two["observed"] = {**two.get("observed", {}),
                       "one_message": one.get("observed")}
    return two


def _trailers_sent(
    probed: Probed, http2: bool, count: int, alone: int | None
) -> tuple[Cell, int]:
    """``count`` trailers messages over HTTP/1.1 or HTTP/2, ``te: trailers``:
    the cell, and how many arrived. ``alone``: how many arrived when one
    was sent (None: this is that request)."""
    tag = probed.next_id("trailers")
    get = clients.http2 if http2 else clients.http1
    reply = get(probed.port, f"/trailers?id={tag}&count={count}",
                [("te", "trailers")], probed.profile.timeout)
    if http2 and reply.ending == NOT_SPOKEN:
        return cell(catalog.NOT_APPLICABLE, note="no cleartext HTTP/2",
                    reply=reply.as_json()), 0
    seen, exception, observed = _app_record(probed, tag, reply)
    if reply.status is None:
        return no_reply(reply), 0
    if reply.ending == TIMED_OUT:
        return cell(HANGS, status=reply.status, exception=exception,
                    note="the body never ends", **observed), 0
    body_ok = reply.body == b"".join(app.TRAILER_BODY)
    if reply.ending != COMPLETE or not body_ok:
        cut = "the body is cut short"
        what = "the chunked body never ends" if body_ok else cut
        return cell(NO, status=reply.status, exception=exception,
                    note=f"{what} (connection {reply.ending})", **observed), 0
    wanted = [name.decode() for name, _ in app.TRAILERS[:count]]
    got = [name for name, _ in reply.trailers if name in wanted]
    problems = ["not advertised"] if seen and not seen.get("advertised") else []
    result = PARTIAL if problems else YES
    if got and got != wanted:
        problems.append(lost(len(got), len(wanted), alone))
        result = PARTIAL
    elif not got:
        raised = f"the app's send raises {short(exception)}"
        problems.append(raised if exception else "dropped silently")
        result = NO
    return cell(result, status=reply.status, exception=exception,
                note="; ".join(problems), seconds=reply.seconds,
                **observed), len(got)


def lost(got: int, sent: int, alone: int | None) -> str:
    """What arrives of ``sent`` trailers messages; ``alone``: of one."""
    if (got, sent, alone) == (1, 2, 1):
        return "one trailers message arrives; a second is lost"
    said = f"{got} of {sent} trailers messages arrive"
    return said if alone != 0 else f"{said}, but none when one is sent"


def probe_http_disconnect(probed: Probed) -> Cell:
    tag = probed.next_id("disconnect")
    # The app returns at the disconnect: waiting long costs only where not.
    watch = 3 * probed.profile.timeout
    target = f"/disconnect?id={tag}&seconds={watch}"
    gone = clients.http1_leave(probed.port, target, probed.profile.timeout)
    if gone is None:
        return cell(HANGS, note="no first chunk")
    seen = probed.event(tag, watch + 1.0)
    if seen is None:
        return cell(HANGS, note="the app never finished")
    if seen.get("disconnect"):
        return cell(YES, seconds=seen["at"] - gone.left,
                    message_keys=seen["keys"])
    return cell(NO, note=f"no http.disconnect within {watch:.1f} s")


def _oserror(
    probed: Probed, leave: Callable[[int, str, float], Left | None]
) -> Cell:
    tag, profile = probed.next_id("send"), probed.profile
    target = (f"/send?id={tag}&seconds={profile.watch + 0.2}"
              f"&interval={profile.interval}")
    gone = leave(probed.port, target, profile.timeout)
    if gone is None:
        return cell(HANGS, note="no first message")
    seen = probed.event(tag, profile.watch + 2.0)
    if seen is None:
        return cell(HANGS, note="the app never finished")
    return sends_cell(seen, gone)


def sends_cell(seen: dict[str, Any], gone: Left) -> Cell:
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
    seconds = seen["first_raise"]["at"] - left
    if oserror:
        return cell(YES, exception=exception, seconds=seconds, **observed)
    return cell(PARTIAL, exception=exception, seconds=seconds,
                note=f"raises {short(exception)}, not an OSError", **observed)


PROBES: dict[str, Callable[[Probed], Cell]] = {
    "spec_http": probe_spec_http,
    "spec_websocket": probe_spec_websocket,
    "close_before_accept": probe_close_before_accept,
    "denial": lambda p: _denial(p, 1),
    "denial_streamed": lambda p: _denial(p, 3),
    "trailers_http1": lambda p: _trailers(p, http2=False),
    "trailers_http2": lambda p: _trailers(p, http2=True),
    "http_disconnect": probe_http_disconnect,
    "oserror_http": lambda p: _oserror(p, clients.http1_leave),
    "oserror_websocket": lambda p: _oserror(p, clients.websocket_leave),
}


def guarded(probed: Probed, feature: str) -> Cell:
    """A probe's cell; a probe that raises is a failure of the command."""
    try:
        return PROBES[feature](probed)
    except Exception as exc:  # the probe could not measure
        name = type(exc).__name__
        return cell(HANGS, note=f"probe failed: {name}",
                    error=f"{name}: {exc}"[:200])
