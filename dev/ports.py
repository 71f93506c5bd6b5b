"""A free TCP port on 127.0.0.1, for the stacks the tests and the benchmark start on their own."""

import socket


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
