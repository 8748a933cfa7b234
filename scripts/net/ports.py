"""Free TCP ports on 127.0.0.1 for servers started as subprocesses."""

import contextlib
import random
import socket
from pathlib import Path

HOST = "127.0.0.1"
EPHEMERAL = Path("/proc/sys/net/ipv4/ip_local_port_range")  # Linux's


def bindable(port: int, *, reuse: bool = False) -> bool:
    """Whether a server could listen on ``port`` now; ``reuse``: a server
    that sets SO_REUSEADDR, as uvicorn does (TIME_WAIT does not stop it)."""
    with socket.socket() as sock, contextlib.suppress(OSError):
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, int(reuse))
        sock.bind((HOST, port))
        return True
    return False


def accepting(port: int, timeout: float = 0.2) -> bool:
    """Whether something accepts TCP connections on 127.0.0.1:``port``."""
    with contextlib.suppress(OSError):
        socket.create_connection((HOST, port), timeout).close()
        return True
    return False


def pick_port() -> int:
    """A random free port just below the ephemeral range (a client socket
    may take a ``bind(port 0)`` port before the subprocess binds it)."""
    ephemeral = EPHEMERAL.read_text() if EPHEMERAL.exists() else "32768"
    high = int(ephemeral.split()[0]) - 1
    low = max(1024, high - 11999)
    for _ in range(50):
        if bindable(port := random.randint(low, high)):
            return port
    raise OSError(f"no free port found from {low} to {high}")
