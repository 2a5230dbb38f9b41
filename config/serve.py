"""Serve config.asgi with several uvicorn processes, each on its own listening socket.

    python -m config.serve --host 127.0.0.1 --port 8000 --workers 2

`uvicorn --workers N` shares one listening socket between its processes: whichever
process wakes first accepts a whole burst of connections. Phones and reverse proxies
keep their connections open, so the split stays as it fell (in the report-ingest
bench, 75 sockets were counted on one process against 12 on the other, database
connections included: the busy one queued while the other idled). Here every process
binds its own socket with SO_REUSEPORT and the kernel spreads new connections evenly
between them.

The parent only watches: a process that dies is started again; SIGTERM or SIGINT
stops them all gracefully (uvicorn finishes the requests in flight). If processes die
right after starting several times in a row (a broken setting), the parent gives up
with exit status 1 instead of restarting them forever.
"""

import argparse
import logging
import multiprocessing
import signal
import socket
import sys
import time
from multiprocessing.connection import wait

APP = "config.asgi:application"
# A process that exits sooner than this after starting counts as failing to start.
STARTUP_SECONDS = 10
MAX_FAILED_STARTS = 3

log = logging.getLogger("config.serve")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(prog="python -m config.serve", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--workers", type=int, default=2, help="server processes (one per core is a good start)")
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--no-access-log", action="store_true")
    parser.add_argument("--proxy-headers", action="store_true", help="trust X-Forwarded-Proto/For from the proxy")
    parser.add_argument("--forwarded-allow-ips", default=None, help="proxy addresses trusted for those headers")
    args = parser.parse_args(argv)
    if args.workers < 1:
        parser.error("--workers must be at least 1")
    if not 0 < args.port < 65536:
        parser.error("--port must be between 1 and 65535")
    return args


def listening_socket(host, port):
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def serve_one(args):
    """One server process: its own socket, uvicorn's event loop."""
    import uvicorn

    options = {}
    if args.forwarded_allow_ips is not None:
        options["forwarded_allow_ips"] = args.forwarded_allow_ips
    config = uvicorn.Config(
        APP,
        lifespan="off",
        log_level=args.log_level,
        access_log=not args.no_access_log,
        proxy_headers=args.proxy_headers,
        **options,
    )
    uvicorn.Server(config).run(sockets=[listening_socket(args.host, args.port)])


def main(argv=None):
    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s: %(message)s")
    # Bind once here first so that a port already taken fails at once, with a message.
    try:
        listening_socket(args.host, args.port).close()
    except OSError as exc:
        sys.exit(f"cannot listen on {args.host}:{args.port}: {exc}")
    context = multiprocessing.get_context("spawn")
    stopping = False

    def stop(_signum, _frame):
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    def start():
        process = context.Process(target=serve_one, args=(args,), name="terrain-web")
        process.start()
        process.started = time.monotonic()
        return process

    processes = [start() for _ in range(args.workers)]
    log.info("serving on http://%s:%d with %d processes", args.host, args.port, args.workers)
    failed_starts = 0
    while not stopping:
        wait([p.sentinel for p in processes], timeout=1)
        for i, process in enumerate(processes):
            if stopping or process.is_alive():
                continue
            early = time.monotonic() - process.started < STARTUP_SECONDS
            failed_starts = failed_starts + 1 if early else 0
            if failed_starts >= MAX_FAILED_STARTS:
                log.error("server processes keep exiting right after starting; giving up")
                stopping = True
                break
            log.warning("server process %d exited with %s; starting another", process.pid, process.exitcode)
            processes[i] = start()
    for process in processes:
        if process.is_alive():
            process.terminate()
    for process in processes:
        process.join(timeout=30)
        if process.is_alive():
            process.kill()
    return 1 if failed_starts >= MAX_FAILED_STARTS else 0


if __name__ == "__main__":
    sys.exit(main())
