"""`make run` stops cleanly on SIGTERM as on Ctrl-C (SIGINT): `manage.py rundemo` takes the
server, both qcluster leaders and every process they started down with it (issue 19).

Real processes: rundemo with both clusters (one worker each) and the development server on
a free port, SQLite in a temporary folder (migrated once for the module), the demo inbox
left out (--no-demo). GNU make passes SIGTERM on to the command it runs and a terminal's
Ctrl-C reaches make's whole process group, so what is tested here is what `make run` does.
Processes are read from /proc (Linux).
"""

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc (Linux)"),
]

# rundemo's processes with one worker per cluster: per cluster its leader, the sentinel,
# and the sentinel's pusher, monitor and worker; and the server.
PROCESSES = 2 * 5 + 1


@pytest.fixture(scope="module")
def environment(tmp_path_factory) -> dict[str, str]:
    """A development environment of its own (SQLite under a fresh LEDGERLINE_VAR_DIR,
    whatever DATABASE_URL the tests run with), migrated."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "Q_CLUSTER_NAME", "Q_SYNC"}
        and not key.startswith(("DJANGO_", "PYTEST_"))
    }
    env |= {
        "LEDGERLINE_DEV": "1",
        "LEDGERLINE_VAR_DIR": str(tmp_path_factory.mktemp("rundemo-var")),
        "Q_WORKERS": "1",
        "Q_OCR_WORKERS": "1",
    }
    migrated = _manage(env, "migrate", "--noinput")
    assert migrated.returncode == 0, migrated.stderr
    return env


def _manage(env, *args):
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_rundemo_stops_its_server_workers_and_their_processes(environment, tmp_path, signum):
    port = _free_port()
    log = (tmp_path / "rundemo.log").open("w+")
    command = ["manage.py", "rundemo", "--no-demo", "--stop-timeout", "10"]
    rundemo = subprocess.Popen(
        [sys.executable, *command, "--addr", f"127.0.0.1:{port}"],
        cwd=settings.BASE_DIR,
        env=environment,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # as `make run` in a terminal: its own process group
    )
    groups: set[int] = set()
    try:
        _wait_until_serving(rundemo, port, log)
        started = _wait_for_descendants(rundemo.pid, PROCESSES)
        groups = {pgid for pgid, _ in started.values()} - {rundemo.pid}

        rundemo.send_signal(signum)
        returncode = rundemo.wait(timeout=60)

        left = _wait_until_gone(started, groups, timeout=10)
        assert left == {}, f"still running after {signum.name}: {left}\n{_output(log)}"
        assert returncode == 0, _output(log)
        assert not _serving(port)
    finally:
        if rundemo.poll() is None:  # the test failed: leave nothing behind
            os.killpg(rundemo.pid, signal.SIGKILL)
            rundemo.wait()
        for pgid in groups & _running_groups():
            os.killpg(pgid, signal.SIGKILL)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _serving(port: int) -> bool:
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=2)
    except urllib.error.HTTPError:
        return True  # it answered
    except OSError:
        return False
    return True


def _wait_until_serving(rundemo: subprocess.Popen, port: int, log) -> None:
    deadline = time.monotonic() + 180
    while not _serving(port):
        assert rundemo.poll() is None, f"rundemo exited early:\n{_output(log)}"
        assert time.monotonic() < deadline, f"not serving after 180 s:\n{_output(log)}"
        time.sleep(0.5)


def _processes() -> dict[int, tuple[int, int, str, str]]:
    """pid -> (ppid, pgid, state, start time) of every process, from /proc."""
    found = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        # After the command name in parentheses: state, ppid, pgrp, ..., starttime (22nd).
        fields = stat.rsplit(")", 1)[1].split()
        found[int(entry.name)] = (int(fields[1]), int(fields[2]), fields[0], fields[19])
    return found


def _descendants(pid: int) -> dict[int, tuple[int, str]]:
    """pid -> (pgid, start time) of every living process below `pid`."""
    processes = _processes()
    below, frontier = {}, [pid]
    while frontier:
        parent = frontier.pop()
        for child, (ppid, pgid, state, start) in processes.items():
            if ppid == parent and child not in below and state not in "ZX":
                below[child] = (pgid, start)
                frontier.append(child)
    return below


def _wait_for_descendants(pid: int, count: int) -> dict[int, tuple[int, str]]:
    deadline = time.monotonic() + 120
    while len(found := _descendants(pid)) < count:
        assert time.monotonic() < deadline, f"only {len(found)} of {count} processes started"
        time.sleep(0.5)
    return found


def _wait_until_gone(started, groups, timeout: float) -> dict[int, tuple]:
    """What is still alive (not a zombie) of the processes `started` and the process
    `groups`, once nothing is or `timeout` seconds have passed."""
    deadline = time.monotonic() + timeout
    while True:
        processes = _processes()
        left = {
            pid: (pgid, state)
            for pid, (ppid, pgid, state, start) in processes.items()
            if state not in "ZX"
            and ((pid in started and started[pid][1] == start) or pgid in groups)
        }
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.2)


def _running_groups() -> set[int]:
    return {pgid for _, pgid, state, _ in _processes().values() if state not in "ZX"}


def _output(log) -> str:
    log.flush()
    log.seek(0)
    return log.read()[-4000:]
