"""Free TCP ports on 127.0.0.1 for servers started as subprocesses."""

import contextlib
import random
import socket
from pathlib import Path

HOST = "127.0.0.1"


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
    """A random free port just below the kernel's ephemeral range: a client
    socket may take a ``bind(port 0)`` port before the subprocess binds it."""
    low = 32768
    with contextlib.suppress(OSError, ValueError):
        text = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text()
        low = int(text.split()[0])
    low, high = max(1024, low - 12000), low - 1
    for _ in range(50):
        port = random.randint(low, high)
        if not accepting(port, timeout=0.05) and bindable(port):
            return port
    raise OSError(f"no free port found between {low} and {high}")
