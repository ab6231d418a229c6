"""A minimal HTTP/1.1 keep-alive client on a blocking socket, for timing single requests.

It costs a few tens of microseconds per request (measured in the report as the probe's
CPU time); httpx would cost ten times that, and its cost would land in the latencies.
"""

from __future__ import annotations

import socket
import time

__all__ = ["Connection"]


class Connection:
    def __init__(self, host: str, port: int) -> None:
        self._host = f"{host}:{port}"
        self._sock = socket.create_connection((host, port), timeout=30)
        self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def close(self) -> None:
        self._sock.close()

    def request_bytes(self, path: str, cookie: str) -> bytes:
        return f"GET {path} HTTP/1.1\r\nHost: {self._host}\r\nCookie: {cookie}\r\n\r\n".encode()

    @staticmethod
    def request_for(host: str, port: int, path: str, cookie: str) -> bytes:
        return f"GET {path} HTTP/1.1\r\nHost: {host}:{port}\r\nCookie: {cookie}\r\n\r\n".encode()

    def send(self, request: bytes) -> int:
        """Send one request, read the whole response; return its status."""
        return self.exchange(request)[0]

    def exchange(self, request: bytes) -> tuple[int, dict[bytes, bytes]]:
        """Send one request, read the whole response; its status and headers (lower-case
        names; of a repeated header, the last)."""
        self._sock.sendall(request)
        buffer = b""
        while b"\r\n\r\n" not in buffer:
            chunk = self._sock.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the connection")
            buffer += chunk
        head, _, body = buffer.partition(b"\r\n\r\n")
        lines = head.split(b"\r\n")
        status = int(lines[0].split()[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get(b"content-length", b"0"))
        while len(body) < length:
            chunk = self._sock.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the connection")
            body += chunk
        return status, headers

    def timed(self, path: str, cookie: str) -> tuple[int, float]:
        """(status, seconds) of one request sent now."""
        request = self.request_bytes(path, cookie)
        begun = time.perf_counter()
        status = self.send(request)
        return status, time.perf_counter() - begun
