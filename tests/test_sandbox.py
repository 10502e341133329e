"""The grading sandbox, tried with small hostile programs (real bubblewrap, no notebooks)."""
from __future__ import annotations

import os
import sys
import time

import pytest

from course_utils.grading import sandbox


def _run(tmp_path, code, **limits):
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    secret = tmp_path / "secret"
    secret.mkdir(exist_ok=True)
    (secret / "hidden_tests.py").write_text("answer = 42")
    return sandbox.run([sys.executable, "-c", code], work=work,
                       limits=sandbox.Limits(**{"wall_seconds": 30, **limits}))


def test_sees_only_its_own_processes_no_network_no_repository(tmp_path):
    result = _run(tmp_path, f"""
import os, socket
print(sorted(int(p) for p in os.listdir('/proc') if p.isdigit()))
print(os.path.exists({str(tmp_path / 'secret')!r}), os.path.exists({os.getcwd()!r} + '/course_utils'))
try:
    socket.create_connection(('127.0.0.1', 22), timeout=2)
    print('connected')
except OSError as exc:
    print('refused', exc.errno)
print(os.getcwd(), os.access('/grading', os.W_OK), os.access('/usr', os.W_OK))
""")
    lines = result.output.splitlines()
    assert result.returncode == 0, result.output
    assert lines[0] == "[1, 2]", "its own PID namespace: bwrap and the program"
    assert lines[1] == "False False", "other folders and the repository are not there"
    assert lines[2].startswith("refused"), "no network, not even the host's loopback"
    assert lines[3] == "/grading True False"


def test_writes_stay_inside_the_work_folder(tmp_path):
    target = tmp_path / "outside.txt"
    result = _run(tmp_path, f"""
open('/grading/mine.txt', 'w').write('ok')
open('/tmp/scratch', 'w').write('ok')
try:
    open({str(target)!r}, 'w').write('escaped')
except OSError as exc:
    print('blocked', type(exc).__name__)
""")
    assert "blocked" in result.output and not target.exists()
    assert (tmp_path / "work" / "mine.txt").read_text() == "ok"


def test_nothing_it_starts_outlives_it(tmp_path):
    marker = tmp_path / "work" / "alive"
    _run(tmp_path, """
import os, subprocess, sys, time
subprocess.Popen([sys.executable, '-c', 'import time\\nwhile True:\\n open("/grading/alive", "a").write("x"); time.sleep(0.2)'],
                 start_new_session=True)
if os.fork() == 0:
    os.setsid()
    while True:
        time.sleep(1)
time.sleep(1)
""")
    size = marker.stat().st_size if marker.exists() else 0
    time.sleep(1.0)
    assert (marker.stat().st_size if marker.exists() else 0) == size, "a daemon kept writing after the run"


def test_the_wall_clock_limit_kills_the_tree(tmp_path):
    start = time.perf_counter()
    result = _run(tmp_path, "import time\nwhile True: time.sleep(1)", wall_seconds=2)
    assert result.timed_out and result.returncode is None
    assert time.perf_counter() - start < 20


def test_memory_and_file_size_are_limited(tmp_path):
    result = _run(tmp_path, """
try:
    block = bytearray(3 << 30)
    print('allocated')
except MemoryError:
    print('memory refused')
try:
    with open('/grading/big', 'wb') as f:
        f.write(b'x' * (8 << 20))
    print('wrote')
except OSError as exc:
    print('file refused', exc.errno)
""", memory_bytes=1 << 30, file_bytes=1 << 20)
    assert "memory refused" in result.output and "file refused 27" in result.output, result.output


def test_output_is_bounded(tmp_path):
    result = _run(tmp_path, "print('x' * 5_000_000)", output_bytes=1000)
    assert len(result.output) < 1200 and "earlier bytes cut" in result.output


def test_runs_as_nobody_when_started_as_root(tmp_path):
    result = _run(tmp_path, "import os; print(os.getuid(), os.getgid())")
    expected = f"{sandbox.NOBODY} {sandbox.NOBODY}" if os.geteuid() == 0 else f"{os.getuid()} {os.getgid()}"
    assert result.output.strip() == expected
