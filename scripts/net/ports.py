"""Free TCP ports on 127.0.0.1 for servers started as subprocesses."""

import contextlib
import random
import socket
from pathlib import Path

HOST = "127.0.0.1"


def port_range() -> tuple[int, int]:
    """Ports just below the kernel's ephemeral range.

    A port from ``bind(port 0)`` comes from the ephemeral range, which every
    client socket and in-process server draws from too, so it can be taken
    between our choice and the subprocess's bind. Ports below it are not.
    """
    low = 32768
    with contextlib.suppress(OSError, ValueError):
        text = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text()
        low = int(text.split()[0])
    return max(1024, low - 12000), low - 1


def bindable(port: int) -> bool:
    """Whether a server could listen on ``port`` now."""
    with socket.socket() as sock:
        try:
            sock.bind((HOST, port))
        except OSError:
            return False
    return True


def answers(port: int) -> bool:
    """Whether something accepts connections on ``port``."""
    with socket.socket() as sock:
        sock.settimeout(0.05)
        return sock.connect_ex((HOST, port)) == 0


def pick_port() -> int:
    """A random free port below the ephemeral range."""
    low, high = port_range()
    for _ in range(50):
        port = random.randint(low, high)
        if not answers(port) and bindable(port):
            return port
    raise OSError(f"no free port found between {low} and {high}")
