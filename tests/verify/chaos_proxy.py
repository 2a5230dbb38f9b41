"""A TCP proxy on 127.0.0.1 that treats HTTP requests as a bad mobile network does.

Each client connection carries one request (clients send `Connection: close`). The
proxy reads it whole, then by a seeded draw:

- drops it (closes the connection without forwarding it),
- delays it (so requests overtake each other),
- forwards it twice (the server sees a duplicate),
- replays it again seconds later, after newer requests (late duplicate),
- cuts the response in the middle (the server did the work, the phone never knows),
- or forwards it cleanly.

`counts` says how often each happened.
"""

import asyncio
import contextlib
import random
import threading
from collections import Counter

from bench.common import free_port

FATES = [("drop", 0.10), ("delay", 0.20), ("duplicate", 0.10), ("replay_later", 0.10), ("cut", 0.15), ("clean", 0.35)]


async def _read_request(reader):
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    body = await reader.readexactly(length) if length else b""
    return head + body


class ChaosProxy:
    def __init__(self, upstream_port, *, seed=7):
        self.upstream_port = upstream_port
        self.random = random.Random(seed)
        self.counts = Counter()
        self.loop = asyncio.new_event_loop()
        self.port = None
        self._started = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        self._started.wait(10)

    def _run(self):
        asyncio.set_event_loop(self.loop)
        server = self.loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._started.set()
        self.loop.run_forever()

    def close(self):
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)

    def _fate(self):
        draw, total = self.random.random(), 0.0
        for fate, share in FATES:
            total += share
            if draw < total:
                return fate
        return "clean"

    async def _forward(self, request):
        reader, writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        try:
            writer.write(request)
            await writer.drain()
            return await reader.read()  # the server closes after its answer (Connection: close)
        finally:
            writer.close()

    async def _replay(self, request, after):
        await asyncio.sleep(after)
        with contextlib.suppress(OSError):
            await self._forward(request)

    async def _handle(self, reader, writer):
        try:
            request = await _read_request(reader)
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            writer.close()
            return
        fate = self._fate()
        self.counts[fate] += 1
        try:
            if fate == "drop":
                return
            if fate == "delay":
                await asyncio.sleep(self.random.uniform(0.05, 1.5))
            if fate == "duplicate":
                self.loop.create_task(self._replay(request, 0))
            if fate == "replay_later":
                self.loop.create_task(self._replay(request, self.random.uniform(1, 5)))
            response = await self._forward(request)
            if fate == "cut":
                writer.write(response[: max(1, len(response) // 2)])
                await writer.drain()
                return
            writer.write(response)
            await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()


class TcpRelay:
    """A plain TCP relay on 127.0.0.1 to `upstream_port` that can be switched off (every
    connection through it cut, new ones refused) and on again: a database that goes
    away and comes back, for the one server that connects through it."""

    def __init__(self, upstream_port):
        self.upstream_port = upstream_port
        self.loop = asyncio.new_event_loop()
        self.port = None
        self.server = None
        self.writers = set()
        ready = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(ready,), daemon=True)
        self._thread.start()
        ready.wait(10)

    def _run(self, ready):
        asyncio.set_event_loop(self.loop)
        self.port = free_port()
        self.loop.run_until_complete(self._listen())
        ready.set()
        self.loop.run_forever()

    async def _listen(self):
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def _pipe(self, reader, writer):
        with contextlib.suppress(OSError, asyncio.CancelledError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.close()

    async def _handle(self, reader, writer):
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.upstream_port)
        except OSError:
            writer.close()
            return
        self.writers |= {writer, up_writer}
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))
        self.writers -= {writer, up_writer}

    def _call(self, coro):
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)

    def off(self):
        async def stop():
            self.server.close()
            await self.server.wait_closed()
            for w in list(self.writers):
                w.close()

        self._call(stop())

    def on(self):
        self._call(self._listen())

    def close(self):
        self.off()
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
