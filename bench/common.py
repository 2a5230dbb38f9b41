"""What every benchmark script shares: the BENCH line and a free local port."""

import socket


def report(name, value, unit, baseline):
    print(f"BENCH {name} {value:.3f} {unit} baseline={baseline:.3f} ratio={value / baseline:.3f}", flush=True)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
