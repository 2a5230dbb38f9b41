"""A small HTTP/1.1 load generator for benchmarks against 127.0.0.1: N clients, each
on one keep-alive connection, sending requests back to back for a fixed time and
recording each request's latency. asyncio streams only, so it costs little CPU next
to the server it measures."""

import asyncio
import json
import time
from dataclasses import dataclass, field


@dataclass
class Run:
    latencies: list = field(default_factory=list)  # seconds, one per completed request
    statuses: dict = field(default_factory=dict)
    errors: int = 0
    seconds: float = 0.0
    extra: dict = field(default_factory=dict)

    def percentile(self, p):
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))]

    @property
    def rate(self):
        return len(self.latencies) / self.seconds if self.seconds else 0.0


class Connection:
    def __init__(self, host, port, host_header):
        self.host, self.port, self.host_header = host, port, host_header
        self.reader = self.writer = None

    async def open(self):
        self.reader, self.writer = await asyncio.open_connection(self.host, self.port)

    async def request(self, method, path, headers, body=b""):
        lines = [f"{method} {path} HTTP/1.1", f"Host: {self.host_header}", f"Content-Length: {len(body)}"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        self.writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            raise ConnectionError("server closed the connection")
        status = int(status_line.split()[1])
        length, chunked = 0, False
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _, value = line.decode("latin-1").partition(":")
            name = name.strip().lower()
            if name == "content-length":
                length = int(value)
            elif name == "transfer-encoding" and "chunked" in value:
                chunked = True
        if chunked:
            data = b""
            while True:
                size = int((await self.reader.readline()).strip(), 16)
                if size == 0:
                    await self.reader.readline()
                    break
                data += await self.reader.readexactly(size)
                await self.reader.readline()
        else:
            data = await self.reader.readexactly(length)
        return status, data

    def close(self):
        if self.writer:
            self.writer.close()


async def _client(conn, seconds, make_request, on_response, run, deadline_start, interval=None, offset=0.0):
    conn_args = (conn.host, conn.port, conn.host_header)
    deadline = deadline_start + seconds
    sent = 0
    try:
        while time.perf_counter() < deadline:
            if interval:
                # Open loop: each request has its time slot; latency counts from the slot,
                # so a server that falls behind is not hidden by clients waiting for it.
                slot = deadline_start + offset + sent * interval
                sent += 1
                if slot >= deadline:
                    break
                delay = slot - time.perf_counter()
                if delay > 0:
                    await asyncio.sleep(delay)
                start = slot
            else:
                start = time.perf_counter()
            method, path, headers, body, token = make_request()
            try:
                status, data = await conn.request(method, path, headers, body)
            except (ConnectionError, asyncio.IncompleteReadError, OSError):
                run.errors += 1
                conn.close()
                conn = Connection(*conn_args)
                await conn.open()
                continue
            run.latencies.append(time.perf_counter() - start)
            run.statuses[status] = run.statuses.get(status, 0) + 1
            if on_response:
                on_response(token, status, data)
    finally:
        conn.close()


def load(*, port, host_header, clients, seconds, make_request, on_response=None, rate=None):
    """Run `clients` concurrent clients for `seconds`; make_request(client_index) gives
    (method, path, headers, body, token), on_response(token, status, body) sees answers.
    Without `rate`, each client sends its next request as soon as the last is answered
    (closed loop: the server's capacity). With `rate` (requests/s for all clients
    together), requests go out on a fixed schedule (open loop: latency at that load)."""

    async def main():
        run = Run()
        # Every client connects first: the schedule measures requests, not 64 handshakes
        # made at the same instant.
        connections = [Connection("127.0.0.1", port, host_header) for _ in range(clients)]
        await asyncio.gather(*[conn.open() for conn in connections])
        start = time.perf_counter()
        interval = clients / rate if rate else None
        await asyncio.gather(
            *[
                _client(conn, seconds, lambda i=i: make_request(i), on_response, run,
                        start, interval, (interval or 0) * i / clients)
                for i, conn in enumerate(connections)
            ]
        )  # fmt: skip
        run.seconds = time.perf_counter() - start
        return run

    return asyncio.run(main())


def json_body(data):
    return json.dumps(data, separators=(",", ":")).encode()
