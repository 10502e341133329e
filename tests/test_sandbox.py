"""The grading sandbox, tried with small hostile programs (real bubblewrap, no notebooks)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from course_tools.grading import sandbox


def _run(tmp_path, code, **limits):
    work = tmp_path / "work"
    work.mkdir(exist_ok=True)
    secret = tmp_path / "secret"
    secret.mkdir(exist_ok=True)
    (secret / "hidden_tests.py").write_text("answer = 42")
    return sandbox.run([sys.executable, "-c", code], work=work,
                       limits=sandbox.Limits(**{"wall_seconds": 30, **limits}))


@pytest.fixture
def listener():
    """A TCP server on the host's loopback that answers every connection: reachable from the host."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    stop = threading.Event()

    def serve():
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                conn, _ = server.accept()
                conn.sendall(b"hello from the host")
                conn.close()
            except OSError:
                pass
    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    with socket.create_connection(server.getsockname(), timeout=5) as probe:  # the host reaches it
        assert probe.recv(100) == b"hello from the host"
    yield server.getsockname()[1]
    stop.set()
    thread.join()
    server.close()


def test_sees_only_its_own_processes_no_network_no_repository(tmp_path, listener):
    result = _run(tmp_path, f"""
import os, socket
print(sorted(int(p) for p in os.listdir('/proc') if p.isdigit()))
print(os.path.exists({str(tmp_path / 'secret')!r}), os.path.exists({os.getcwd()!r} + '/course_utils'))
try:
    print('connected', socket.create_connection(('127.0.0.1', {listener}), timeout=5).recv(100))
except OSError as exc:
    print('refused', exc.errno)
print(os.getcwd(), os.access('/grading', os.W_OK), os.access('/usr', os.W_OK))
""")
    lines = result.output.splitlines()
    assert result.returncode == 0, result.output
    assert lines[0] == "[1, 2]", "its own PID namespace: bwrap and the program"
    assert lines[1] == "False False", "other folders and the repository are not there"
    assert lines[2].startswith("refused"), f"no network, not even the host's loopback server: {lines[2]}"
    assert lines[3] == "/grading True False"


MOUNTINFO = """
import errno, json, os
mounts = {}
for line in open('/proc/self/mountinfo'):
    fields = line.split()
    mounts[fields[4]] = fields[5].split(',')
found = {}
for point in %r:
    options = mounts.get(point)
    try:
        with open(os.path.join(point, '.probe-written'), 'w') as handle:
            handle.write('x')
        outcome = 'written'
    except OSError as exc:
        outcome = errno.errorcode.get(exc.errno, str(exc.errno))
    found[point] = [options and 'ro' in options, outcome]
print(json.dumps(found))
"""


def test_every_read_only_bind_is_a_read_only_mount_seen_from_inside(tmp_path):
    import json
    course, data = tmp_path / "course", tmp_path / "data"
    for folder in (course, data):
        folder.mkdir()
        os.chmod(folder, 0o777)  # file permissions would let anyone write: only the mount may refuse
    points = [p for p in sandbox._system_binds() if os.path.isdir(p)] + ["/opt/course", "/data"]
    work = tmp_path / "work"
    work.mkdir()
    result = sandbox.run([sys.executable, "-c", MOUNTINFO % points], work=work,
                         read_only={"/opt/course": course, "/data": data}, limits=sandbox.Limits(wall_seconds=60))
    found = json.loads(result.output.strip().splitlines()[-1])
    assert found == {p: [True, "EROFS"] for p in points}, found
    assert not list(course.iterdir()) and not list(data.iterdir())


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


def test_runs_as_a_user_of_its_own_when_started_as_root(tmp_path):
    result = _run(tmp_path, "import os; print(os.getuid(), os.getgid())")
    uid, gid = map(int, result.output.split())
    if os.geteuid() == 0:
        assert uid == gid and uid in sandbox.SANDBOX_UIDS
    else:
        assert (uid, gid) == (os.getuid(), os.getgid())


# --- Limits per sandbox (issue #23, item 4): each sandbox its own user, control group and tmpfs sizes.

def _can_make_cgroups() -> bool:
    """Whether this machine lets us make a memory control group (probed here, not by the code tested)."""
    if os.geteuid() != 0:
        return False
    unified = Path("/sys/fs/cgroup/cgroup.controllers")
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if "memory" in controllers.split(","):  # cgroup v1
            return os.access(Path("/sys/fs/cgroup/memory") / path.lstrip("/"), os.W_OK)
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        if controllers == "" and unified.exists() and "memory" in unified.read_text().split():  # cgroup v2
            return os.access(Path("/sys/fs/cgroup") / path.lstrip("/"), os.W_OK)
    return False


def _can_mount_tmpfs(tmp_path) -> bool:
    """Whether this process may mount a tmpfs (root with CAP_SYS_ADMIN, not in a locked container)."""
    target = tmp_path / "mount-probe"
    target.mkdir()
    if os.geteuid() != 0 or subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(target)],
                                           capture_output=True).returncode != 0:
        return False
    subprocess.run(["umount", str(target)], capture_output=True)
    return True


CGROUPS = _can_make_cgroups()

FORK_HOG = """
import os, time
n = 0
while True:
    try:
        pid = os.fork()
    except OSError:
        break
    if pid == 0:
        while not os.path.exists('/grading/stop'):
            time.sleep(0.1)
        os._exit(0)
    n += 1
open('/grading/full', 'w').write(str(n))
while not os.path.exists('/grading/stop'):
    time.sleep(0.1)
"""

CLASSMATE = """
import subprocess
children = [subprocess.Popen(['sleep', '0.2']) for _ in range(20)]
print('classmate ok', sum(child.wait() == 0 for child in children))
"""


def test_a_process_hog_cannot_take_a_classmates_processes(tmp_path):
    limits = sandbox.Limits(wall_seconds=120, processes=64)
    hog_work, mate_work = tmp_path / "hog", tmp_path / "mate"
    hog_work.mkdir()
    mate_work.mkdir()
    outcome = {}
    hog = threading.Thread(target=lambda: outcome.setdefault("hog", sandbox.run(
        [sys.executable, "-c", FORK_HOG], work=hog_work, limits=limits)))
    hog.start()
    try:
        for _ in range(1200):  # the hog holds every process it may have before the classmate starts
            if (hog_work / "full").exists() or not hog.is_alive():
                break
            time.sleep(0.05)
        assert (hog_work / "full").exists(), "the hog never filled its process limit"
        mate = sandbox.run([sys.executable, "-c", CLASSMATE], work=mate_work, limits=limits)
    finally:
        (hog_work / "stop").write_text("")
        hog.join()
    assert 40 <= int((hog_work / "full").read_text()) <= 64
    assert mate.output.strip().endswith("classmate ok 20"), mate.output


MEMORY_HOG = """
import os, time
children = []
for _ in range(3):
    pid = os.fork()
    if pid == 0:
        block = b'\\x01' * (150 << 20)  # written, so resident: 450 MiB together
        print('allocated', flush=True)
        time.sleep(2)
        os._exit(0)
    children.append(pid)
print('exits', sorted(os.waitpid(pid, 0)[1] for pid in children))
"""


def test_children_together_over_the_memory_limit_are_killed(tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    result = sandbox.run([sys.executable, "-c", MEMORY_HOG], work=work, limits=sandbox.Limits(
        wall_seconds=60, memory_bytes=1 << 30, total_memory_bytes=256 << 20))
    if not CGROUPS:  # the protection is missing here: the run says so
        assert any("no control group" in note for note in result.notes), result.notes
        return
    assert result.output.count("allocated") < 3 and "exits" in result.output, result.output
    assert any("the kernel killed" in note and "256 MiB for the whole submission" in note for note in result.notes), \
        result.notes


def test_tmp_shm_and_grading_have_a_size(tmp_path):
    result = _run(tmp_path, """
import errno
for folder in ('/tmp', '/dev/shm', '/grading'):
    try:
        with open(folder + '/big', 'wb') as handle:
            for _ in range(24):
                handle.write(b'x' * (1 << 20))
        print(folder, 'wrote 24 MiB')
    except OSError as exc:
        print(folder, errno.errorcode[exc.errno])
""", tmp_bytes=8 << 20, work_bytes=16 << 20, file_bytes=64 << 20)
    lines = result.output.split("\n")
    assert lines[:2] == ["/tmp ENOSPC", "/dev/shm ENOSPC"], result.output
    sized = _can_mount_tmpfs(tmp_path)
    assert lines[2] == ("/grading ENOSPC" if sized else "/grading wrote 24 MiB"), result.output
    assert sized or any(note.startswith("/grading has no size limit") for note in result.notes)
    assert (tmp_path / "work").is_dir() and not (tmp_path / ".work.staging").exists()


def test_control_groups_are_removed_after_each_run(tmp_path, monkeypatch):
    from course_tools.grading import cgroups
    made = []
    real = cgroups.create

    def recording(**kwargs):
        group, how = real(**kwargs)
        made.append(group)
        return group, how
    monkeypatch.setattr(cgroups, "create", recording)
    result = _run(tmp_path, "import os; print(open('/proc/self/cgroup').read())")
    [group] = made
    if not CGROUPS:
        assert group is None
        return
    assert group.dirs and all(not folder.exists() for folder in group.dirs.values()), group.dirs
    assert result.returncode == 0


UNPRIVILEGED = """
import json, sys
from pathlib import Path
from course_tools.grading import sandbox
work = Path(sys.argv[1])
# the system's Python inside: this one may live where a plain user cannot read (root's pyenv)
result = sandbox.run(['/usr/bin/python3', '-c', '''
import os, resource, socket
try:
    socket.create_connection(("127.0.0.1", %d), timeout=5)
    net = "connected"
except OSError:
    net = "refused"
print(os.getuid(), resource.getrlimit(resource.RLIMIT_NPROC)[0], net, sorted(int(p) for p in os.listdir("/proc") if p.isdigit()))
'''], work=work, limits=sandbox.Limits(wall_seconds=60))
print(json.dumps({"output": result.output, "notes": result.notes, "returncode": result.returncode}))
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="already unprivileged: every other test here runs that branch")
def test_the_unprivileged_branch_as_a_plain_user(request, listener):
    import json
    import shutil
    import tempfile
    home = Path(tempfile.mkdtemp(prefix="sandbox-unprivileged-"))  # pytest's tmp_path is root's alone
    request.addfinalizer(lambda: shutil.rmtree(home, ignore_errors=True))
    work = home / "work"
    work.mkdir()
    for folder in (work, home):
        os.chown(folder, sandbox.NOBODY, sandbox.NOBODY)
    # The plain user may not read the checkout (a fresh clone in a mode-700 temporary folder, as in CI):
    # give it its own copy of the package (what this branch imports is standard library only).
    package = Path(sandbox.__file__).resolve().parents[1]
    shutil.copytree(package, home / "pkg" / package.name, ignore=shutil.ignore_patterns("__pycache__", "locales"))
    proc = subprocess.run(["setpriv", f"--reuid={sandbox.NOBODY}", f"--regid={sandbox.NOBODY}", "--clear-groups",
                           sys.executable, "-c", UNPRIVILEGED % listener, str(work)], capture_output=True, text=True,
                          env={"PATH": os.environ["PATH"], "PYTHONPATH": str(home / "pkg"), "HOME": str(work)},
                          timeout=120)
    assert proc.returncode == 0, proc.stderr
    found = json.loads(proc.stdout.strip().splitlines()[-1])
    assert found["returncode"] == 0, found
    assert found["output"].split(" ", 3)[:3] == [str(sandbox.NOBODY), "256", "refused"], found
    assert found["output"].split(" ", 3)[3].strip() == "[1, 2]", found
    assert any(note.startswith("no control group") for note in found["notes"]), found["notes"]
    assert "/grading has no size limit (not root: no tmpfs of its own)" in found["notes"]


def test_what_a_sandbox_leaves_in_its_folder_is_read_back_without_opening_fifos_or_links(tmp_path):
    result = _run(tmp_path, """
import os
os.makedirs('/grading/answers')
open('/grading/answers/answers.json', 'w').write('{}')
os.mkfifo('/grading/answers/run.json')
os.mkfifo('/grading/pipe')
os.symlink('/etc/shadow', '/grading/answers/model.keras')
print('planted')
""")
    assert "planted" in result.output, result.output
    answers_dir = tmp_path / "work" / "answers"
    assert (answers_dir / "answers.json").read_text() == "{}"
    if os.geteuid() == 0:  # read back from the sandbox's own tmpfs: regular files only
        assert sorted(p.name for p in answers_dir.iterdir()) == ["answers.json"]
    from course_tools.grading import batch
    assert batch._load_answers(answers_dir) == ({}, [])


# ------------------------------------------------------------------- round 4: the copy back is bounded

EMPTY_FOLDERS = """
import os, errno
os.makedirs('/grading/answers', exist_ok=True)
open('/grading/answers/answers.json', 'w').write('{}')
open('/grading/junk.bin', 'w').write('x' * 1000)
made = 0
try:
    for i in range(60_000):
        os.mkdir(f'/grading/d{i}')
        made += 1
except OSError as exc:
    print('stopped', errno.errorcode[exc.errno])
print('made', made)
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="the tmpfs of /grading (and its inode limit) needs root")
def test_empty_folders_are_bounded_in_the_sandbox_and_never_copied_back(tmp_path):
    """The attack: a million empty folders (no tmpfs blocks) became a million inodes on the host."""
    if not _can_mount_tmpfs(tmp_path):
        pytest.fail("running as root but no tmpfs can be mounted: the size limits cannot be checked")
    work = tmp_path / "work"
    work.mkdir()
    result = sandbox.run([sys.executable, "-c", EMPTY_FOLDERS], work=work, keep=["answers/answers.json"],
                         limits=sandbox.Limits(wall_seconds=60, work_inodes=5_000))
    assert "stopped ENOSPC" in result.output, result.output
    assert int(result.output.split("made ")[1].split()[0]) < 5_000, result.output
    assert [p.relative_to(work).as_posix() for p in sorted(work.rglob("*"))] == ["answers", "answers/answers.json"]


def test_the_copy_back_keeps_only_what_the_scorer_reads_and_never_a_link(tmp_path):
    source = tmp_path / "source"
    (source / "answers").mkdir(parents=True)
    (source / "answers" / "answers.json").write_text("{}")
    (tmp_path / "private").write_text("secret")
    os.link(tmp_path / "private", source / "answers" / "run.json")
    (source / "answers" / "model.keras").symlink_to(tmp_path / "private")
    (source / "other.txt").write_text("not read by the scorer")
    sandbox._copy_back(source, tmp_path / "kept", 1 << 20, ["answers/answers.json", "answers/run.json",
                                                            "answers/model.keras", "../private", "/etc/passwd"])
    assert [p.relative_to(tmp_path / "kept").as_posix() for p in sorted((tmp_path / "kept").rglob("*"))] == \
        ["answers", "answers/answers.json"]


def test_without_a_list_the_copy_back_stops_at_its_limits(tmp_path):
    source = tmp_path / "source"
    source.mkdir()
    for i in range(300):
        (source / f"d{i:03}").mkdir()
    deep = source / "a"
    for _ in range(12):
        deep = deep / "b"
    deep.mkdir(parents=True)
    (deep / "deep.txt").write_text("too deep")
    (source / "f.txt").write_text("kept")
    notes = sandbox._copy_back(source, tmp_path / "kept", 1 << 20, max_entries=200)
    assert notes == ["copy back from /grading stopped after 200 entries"]
    assert len(list((tmp_path / "kept").rglob("*"))) <= 200
    notes = sandbox._copy_back(source, tmp_path / "kept2", 1 << 20)
    assert notes == [] and (tmp_path / "kept2" / "f.txt").read_text() == "kept"
    assert not list((tmp_path / "kept2").rglob("deep.txt")), f"deeper than {sandbox.COPY_DEPTH} levels is left"
    assert not (tmp_path / "kept2" / "d000").exists(), "an empty folder is never made on the host"


# ------------------------------------------------------------------- round 4: no kernel state shared

KEYS = """
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
ADD_KEY, KEYCTL = {"x86_64": (248, 250), "aarch64": (217, 219)}[os.uname().machine]
def search(keyring, description):
    found = libc.syscall(KEYCTL, 10, keyring, b"user", description.encode(), 0)  # KEYCTL_SEARCH
    return "found" if found >= 0 else os.strerror(ctypes.get_errno())
def session():
    return libc.syscall(KEYCTL, 0, -3, 0)  # KEYCTL_GET_KEYRING_ID of the session keyring
"""

PLANT = KEYS + """
print(os.getuid(), libc.syscall(ADD_KEY, b"user", b"planted", b"from-student-1", 14, -4) >= 0)  # the user keyring
print(search(-4, "planted"))
"""

LOOK = KEYS + """
print(os.getuid(), search(-4, "planted"), search(-3, "grader-secret"), session() == int(sys.argv[1]))
"""

GRADER = KEYS + """
from pathlib import Path
from course_tools.grading import sandbox
libc.syscall(KEYCTL, 1, 0)  # the grader runs in a session keyring of its own (a login or systemd session)
mine = session()
assert libc.syscall(ADD_KEY, b"user", b"grader-secret", b"TOP-SECRET", 10, -3) >= 0
print("grader", search(-3, "grader-secret"))
sandbox.SANDBOX_UIDS = range(int(sys.argv[2]), int(sys.argv[2]) + 1)  # one uid: the next sandbox gets the same
sandbox.UID_LOCKS = Path(sys.argv[3])
for step, code in (("plant", sys.argv[4]), ("look", sys.argv[5])):
    work = Path(sys.argv[1]) / step
    work.mkdir()
    result = sandbox.run([sys.executable, "-c", code, str(mine)], work=work, limits=sandbox.Limits(wall_seconds=60))
    print(step, result.output.strip().replace("\\n", " | "))
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="uids of their own (and their keyrings) need root; unprivileged "
                    "bubblewrap has a user namespace, whose keyrings are its own")
def test_keyrings_are_private_to_each_sandbox_and_never_the_graders(tmp_path):
    """The attacks: a sandbox read the instructor's key from the grader's session keyring, and a key
    planted in a uid's user keyring was read by the next student given that uid."""
    uid = sandbox.SANDBOX_UIDS[-1] + 1_000  # kept apart from any other grader on this machine
    done = subprocess.run([sys.executable, "-c", GRADER, str(tmp_path), str(uid), str(tmp_path / "locks"), PLANT, LOOK],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(Path(sandbox.__file__).parents[2])})
    assert done.returncode == 0, done.stderr[-2000:]
    lines = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    assert lines["grader"] == "found"
    assert lines["plant"] == f"{uid} True | found", "the first sandbox planted a key in its user keyring"
    looked = lines["look"].split()
    assert looked[0] == str(uid), "the second sandbox ran as the same uid"
    assert " ".join(looked[1:]) == "Required key not available Required key not available False", (
        "the planted key is gone, the grader's secret is out of reach, the session keyring is another")


HOLD = """
import sys
from pathlib import Path
from course_tools.grading import sandbox
with sandbox.sandbox_uid(Path(sys.argv[1])) as uid:
    print(uid, flush=True)
    sys.stdin.readline()
"""


@pytest.mark.skipif(os.geteuid() != 0, reason="uids are allocated as root only (unprivileged: the user's own)")
def test_two_graders_at_once_never_share_a_sandbox_uid(tmp_path):
    """The attack: with two graders at once, a thread bomb in one zeroed an honest student of the
    other (both ran as the first uid of their own pool, so one process limit counted both)."""
    env = {**os.environ, "PYTHONPATH": str(Path(sandbox.__file__).parents[2])}
    graders, uids = [], []
    try:
        for _ in range(2):  # the second starts while the first holds its uid
            graders.append(subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)], stdin=subprocess.PIPE,
                                            stdout=subprocess.PIPE, text=True, env=env))
            uids.append(int(graders[-1].stdout.readline()))
        assert uids == [sandbox.SANDBOX_UIDS[0], sandbox.SANDBOX_UIDS[1]], uids
    finally:
        for g in graders:
            g.communicate("\n", timeout=60)
    again = subprocess.run([sys.executable, "-c", HOLD, str(tmp_path)], input="\n", capture_output=True, text=True,
                           env=env, timeout=60)
    assert int(again.stdout) == sandbox.SANDBOX_UIDS[0], "a uid given back is handed out again"
