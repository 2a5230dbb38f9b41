"""The web server (config/serve.py): several processes, each on its own socket."""

import os
import signal
import socket
from pathlib import Path

import requests
from django.conf import settings

from bench.common import tcp_sockets
from tests.conftest import start_uvicorn, stop_process, subprocess_env, wait_for


def server_processes(parent):
    """The serving processes started by `parent` (not multiprocessing's helper)."""
    children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
    return {int(pid) for pid in children if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()}


def connections_held(pid, port):
    """How many established connections to `port` the process `pid` holds."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(fd)
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    return sum(1 for state, inode in tcp_sockets(port) if state == "01" and inode in inodes)


def test_connections_are_spread_over_the_processes_and_a_dead_one_is_replaced(django_db_setup):
    server = start_uvicorn(subprocess_env(), log_name="test-serve.log", workers=2)
    try:
        wait_for(lambda: len(server_processes(server.pid)) == 2, timeout=30, what="two server processes")
        processes = server_processes(server.pid)
        clients = [socket.create_connection(("127.0.0.1", server.port)) for _ in range(40)]
        try:
            wait_for(lambda: sum(connections_held(p, server.port) for p in processes) == 40, what="40 accepted")
            held = {p: connections_held(p, server.port) for p in processes}
            # The kernel hashes connections over the two sockets: neither process is left idle.
            assert min(held.values()) >= 5, held
        finally:
            for client in clients:
                client.close()

        victim = min(processes)
        os.kill(victim, signal.SIGKILL)
        wait_for(lambda: victim not in server_processes(server.pid) and len(server_processes(server.pid)) == 2,
                 timeout=30, what="a new server process")  # fmt: skip
        url, host = f"http://127.0.0.1:{server.port}/healthz", {"Host": settings.PLATFORM_DOMAIN}
        answers = [requests.get(url, headers=host, timeout=10).status_code for _ in range(20)]
        assert set(answers) == {200}
    finally:
        stop_process(server)
    assert server.returncode == 0
