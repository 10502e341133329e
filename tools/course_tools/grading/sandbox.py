"""An operating-system sandbox for one untrusted submission, built on bubblewrap (``bwrap``).

What the sandboxed command sees: a read-only view of the Python installation and of the
folders it is given (a pristine copy of ``course_utils``, the data it needs), one private
writable folder (``/work``), a private ``/tmp``, no network, its own PID namespace (nothing
it starts outlives it, and it sees no other process), and limits on address space, CPU time,
processes and file size. The repository, the submissions folder, ``grades/``, other
students and the batch's ``/proc`` are simply not there. As root it also drops to a user of
its own (one uid per concurrent sandbox on the machine, from ``SANDBOX_UIDS``, held by a lock file
under ``/run`` that every grader shares), so the process limit counts only its own processes;
that uid's keyrings are emptied before and after, and the sandbox starts in a new, empty session
keyring (never the grader's). It runs in a control group of its own (``cgroups``): memory of all
its processes and of its tmpfs together, processes and CPU, accounted per sandbox. ``/tmp``,
``/dev/shm`` and (as root) ``/grading`` have a size.
"""
from __future__ import annotations

import fcntl
import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
import time
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Iterator, Mapping, Sequence

from . import cgroups, walk

WORK = "/grading"  # not /work: the venv may live under /work
NOBODY = 65534
#: Users the sandboxes run as when started as root: one per concurrent sandbox on the machine, none
#: in use elsewhere. Which are taken is known from lock files in ``UID_LOCKS``, shared by every grader.
SANDBOX_UIDS = range(2_000_000, 2_000_064)
UID_LOCKS = Path("/run/course-grading/sandbox-uids")
#: ``keyctl(2)`` operations and special keyring ids (``linux/keyctl.h``), and the syscall's number.
KEYCTL_JOIN_SESSION_KEYRING, KEYCTL_CLEAR = 1, 7
KEY_SPEC_USER_KEYRING, KEY_SPEC_USER_SESSION_KEYRING = -4, -5
_KEYCTL_SYSCALL = {"x86_64": 250, "amd64": 250, "aarch64": 219, "arm64": 219, "i686": 288, "i386": 288,
                   "riscv64": 219, "ppc64le": 271, "s390x": 280}
#: Where ``make setup`` and the README tell people to get the sandbox from.
HOW_TO_GET_IT = ("Grade on Linux with bubblewrap installed (Debian/Ubuntu: `sudo apt-get install bubblewrap`), "
                 "or in containers: otter-grader's Docker mode (`otter grade`) or Gradescope with the "
                 "autograder zip from `make assign`. For trusted code only, `--unsafe` grades without a sandbox.")


class SandboxUnavailable(RuntimeError):
    """No sandbox can run here; the message says how to grade safely instead."""


@dataclass(frozen=True)
class Limits:
    """Resource limits of one sandboxed run."""

    wall_seconds: float = 300
    memory_bytes: int = 6 << 30  # address space per process (TensorFlow reserves a lot of it)
    cpu_seconds: int = 900
    processes: int = 256
    file_bytes: int = 256 << 20
    output_bytes: int = 200_000  # of stdout/stderr kept
    total_memory_bytes: int = 3 << 30  # all its processes and its tmpfs together (control group)
    cpus: float = 1.0  # CPU time per wall second (control group)
    tmp_bytes: int = 512 << 20  # size of /tmp and of /dev/shm (each)
    work_bytes: int = 1 << 30  # size of /grading (a tmpfs of its own, as root)
    work_inodes: int = 20_000  # files and folders /grading may hold (empty folders use no blocks)
    cgroup: bool = True  # one control group per sandbox where one can be made


@dataclass
class RunResult:
    """What happened: exit code, whether the wall-clock limit hit, and the output's tail."""

    returncode: int | None
    timed_out: bool
    output: str
    seconds: float
    notes: list[str] = field(default_factory=list)


def bwrap_path() -> str | None:
    """The bubblewrap executable, if installed."""
    return shutil.which("bwrap")


def check_available() -> str:
    """Return ``bwrap``'s path after a trial run, or raise :class:`SandboxUnavailable`."""
    if platform.system() != "Linux":
        raise SandboxUnavailable(f"The grading sandbox needs Linux (this is {platform.system()}). {HOW_TO_GET_IT}")
    bwrap = bwrap_path()
    if bwrap is None:
        raise SandboxUnavailable(f"bubblewrap (`bwrap`) is not installed. {HOW_TO_GET_IT}")
    trial = subprocess.run(_bwrap_args(bwrap, {}, None, {}) + ["true"], capture_output=True, text=True,
                           timeout=60)
    if trial.returncode != 0:
        raise SandboxUnavailable(f"bubblewrap is installed but cannot create a sandbox here "
                                 f"({trial.stderr.strip()[:300]}). {HOW_TO_GET_IT}")
    return bwrap


def _system_binds() -> list[str]:
    """Read-only system folders a Python program needs (libraries, certificates, fonts)."""
    paths = ["/usr", "/lib", "/lib64", "/bin", "/sbin", "/etc"]
    prefixes = {sys.base_prefix, sys.prefix, os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix)}
    return [p for p in paths if os.path.exists(p)] + sorted(p for p in prefixes if not p.startswith("/usr"))


def _bwrap_args(bwrap: str, read_only: Mapping[str, str], work: Path | None, env: Mapping[str, str],
                uid: int = NOBODY, tmp_bytes: int = 512 << 20) -> list[str]:
    # As root: every namespace but the user one, so that the uid below is a real, unprivileged user.
    unshare = (["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
               if os.geteuid() == 0 else ["--unshare-all"])
    args = [bwrap, *unshare, "--die-with-parent", "--new-session",
            "--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--size", str(tmp_bytes), "--tmpfs", "/tmp",
            "--perms", "1777", "--size", str(tmp_bytes), "--tmpfs", "/dev/shm", "--clearenv"]
    binds = [(path, path) for path in _system_binds()] + [(inside, str(outside)) for inside, outside in read_only.items()]
    made: set[str] = set()
    for inside, outside in binds:
        for parent in reversed(Path(inside).parents[:-1]):  # bwrap would create them 0700
            if str(parent) not in made:
                made.add(str(parent))
                args += ["--perms", "0755", "--dir", str(parent)]
        args += ["--ro-bind", outside, inside]
    if work is not None:
        args += ["--bind", str(work), WORK, "--chdir", WORK]
    for key, value in env.items():
        args += ["--setenv", key, value]
    if os.geteuid() == 0:  # privileged bubblewrap: become an unprivileged user inside, with no way back
        args += ["--", shutil.which("setpriv") or "/usr/bin/setpriv", f"--reuid={uid}", f"--regid={uid}",
                 "--clear-groups", "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all"]
    else:
        args += ["--"]
    return args


def _limit(limits: Limits, group: cgroups.Cgroup | None = None):
    """In the child, before it execs bubblewrap: enter the control group, set resource limits
    (both are inherited by everything it starts)."""
    def apply() -> None:
        _new_session_keyring()
        if group is not None:
            group.enter()
        for name, value in ((resource.RLIMIT_AS, limits.memory_bytes), (resource.RLIMIT_CPU, limits.cpu_seconds),
                            (resource.RLIMIT_FSIZE, limits.file_bytes), (resource.RLIMIT_CORE, 0)):
            resource.setrlimit(name, (value, value))
        if os.geteuid() != 0:  # as root the limit is set for the sandbox's user, at the setpriv step
            resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
    return apply


def _keyctl():
    """``keyctl(2)`` through libc's ``syscall``, resolved once (before any fork), or ``None``."""
    import ctypes

    number = _KEYCTL_SYSCALL.get(platform.machine().lower())
    if number is None or platform.system() != "Linux":
        return None
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        syscall = libc.syscall
    except (OSError, AttributeError):
        return None
    syscall.restype = ctypes.c_long

    def keyctl(operation: int, *args) -> int:
        return syscall(ctypes.c_long(number), ctypes.c_long(operation), *(ctypes.c_long(a) for a in args))
    return keyctl


_KEYCTL = _keyctl()

def clear_keyrings(uid: int) -> str | None:
    """Empty the user and user-session keyrings of ``uid`` (needs root), which the kernel keeps
    for the uid, not for a process, and would hand to the next sandbox given that uid.

    A forked child becomes ``uid`` (no exec: the host's Python may not be reachable by that user)
    and clears both with ``keyctl(KEYCTL_CLEAR)``.

    Returns
    -------
    str or None
        ``None`` when both are empty now, else why not (a note for the report).
    """
    if _KEYCTL is None:
        return f"keyrings of the sandbox's user not cleared (no keyctl on {platform.system()} {platform.machine()})"
    pid = os.fork()
    if pid == 0:  # the child: syscalls only, then _exit
        code = 3
        try:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
            code = 0 if all(_KEYCTL(KEYCTL_CLEAR, keyring) == 0
                            for keyring in (KEY_SPEC_USER_KEYRING, KEY_SPEC_USER_SESSION_KEYRING)) else 4
        finally:
            os._exit(code)
    _, status = os.waitpid(pid, 0)
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        return "keyrings of the sandbox's user not cleared (" + \
            ("keyctl refused" if code == 4 else f"the clearing process ended with {code}") + ")"
    return None


def _claim_uid(lock_dir: Path) -> tuple[int, int]:
    """The lowest uid of ``SANDBOX_UIDS`` no sandbox on this machine holds, and the descriptor
    whose lock (``flock``, released when it is closed or the process dies) holds it."""
    lock_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    for uid in SANDBOX_UIDS:
        fd = os.open(lock_dir / f"{uid}.lock", os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        except BaseException:
            os.close(fd)
            raise
        return uid, fd
    raise RuntimeError(f"more than {len(SANDBOX_UIDS)} sandboxes at once on this machine (every grader's together, "
                       f"see {lock_dir}); grade with fewer workers or wait for the other batch")


@contextmanager
def sandbox_uid(lock_dir: Path | None = None, notes: list[str] | None = None) -> Iterator[int]:
    """A user id no other running sandbox on this machine has (as root; else this process's own).

    The uid is held by a lock file in ``lock_dir`` (default ``UID_LOCKS``), so two graders at once
    (two courses on one server) never share a uid, nor its process limit. Its keyrings are
    emptied before it is handed out and after it is given back (notes say where that failed).
    """
    if os.geteuid() != 0:
        yield os.getuid()
        return
    uid, fd = _claim_uid(UID_LOCKS if lock_dir is None else Path(lock_dir))
    try:
        why = clear_keyrings(uid)
        if why and notes is not None:
            notes.append(why)
        yield uid
    finally:
        try:
            clear_keyrings(uid)
        finally:
            os.close(fd)  # gives the uid back


def _new_session_keyring() -> None:
    """Join a new, empty session keyring (in the sandbox's child, before it execs): the sandbox
    never possesses the grader's session keyring, nor its keys. Where keyctl fails (a seccomp
    filter that refuses it, as container runtimes have), the sandbox inherits that filter and
    cannot reach any keyring either."""
    if _KEYCTL is not None:
        _KEYCTL(KEYCTL_JOIN_SESSION_KEYRING, 0)


@contextmanager
def sized_folder(folder: Path, size: int, notes: list[str], *, inodes: int = Limits.work_inodes,
                 keep: Sequence[str] | None = None) -> Iterator[None]:
    """Mount a tmpfs of ``size`` bytes and ``inodes`` entries on ``folder``, keeping what it holds
    (as root; else a note). Afterwards only ``keep`` (paths relative to ``folder``; ``None``: a
    bounded copy of its regular files, see :func:`_copy_back`) is copied back to the host."""
    if os.geteuid() != 0 or not shutil.which("mount"):
        notes.append("/grading has no size limit (not root: no tmpfs of its own)")
        yield
        return
    staging = folder.parent / f".{folder.name}.staging"
    os.rename(folder, staging)
    folder.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size},nr_inodes={inodes},mode=0755,nosuid,nodev",
                              "tmpfs", str(folder)], capture_output=True, text=True)
    if mounted.returncode != 0:
        folder.rmdir()
        os.rename(staging, folder)
        notes.append(f"/grading has no size limit (mount: {mounted.stderr.strip()[:200]})")
        yield
        return
    try:
        shutil.copytree(staging, folder, dirs_exist_ok=True, symlinks=True)
        shutil.rmtree(staging)
        yield
    finally:
        kept = folder.parent / f".{folder.name}.kept"
        try:
            notes.extend(_copy_back(folder, kept, size, keep))  # what the caller reads afterwards
        finally:
            subprocess.run(["umount", "-l", str(folder)], capture_output=True)
            shutil.rmtree(folder, ignore_errors=True)
            if kept.exists():
                os.rename(kept, folder)
            else:
                folder.mkdir(exist_ok=True)


#: Bounds of the copy back from a sandbox's folder when the caller names no files.
COPY_ENTRIES, COPY_FILES, COPY_DEPTH = 10_000, 256, 8


def _copy_one(source_fd: int, target: Path, budget: int) -> int:
    """Copy the open regular file ``source_fd`` to ``target`` if it is a single-link regular file of
    at most ``budget`` bytes; the bytes copied (0 if refused)."""
    import stat

    info = os.fstat(source_fd)
    if not stat.S_ISREG(info.st_mode) or info.st_nlink > 1 or info.st_size > budget:
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    copied = 0
    with open(target, "wb") as out:
        while copied < info.st_size:  # never more than it had when it was looked at
            chunk = os.read(source_fd, min(1 << 20, info.st_size - copied))
            if not chunk:
                break
            out.write(chunk)
            copied += len(chunk)
    return copied


def _copy_back(source: Path, target: Path, budget: int, keep: Sequence[str] | None = None, *,
               max_entries: int = COPY_ENTRIES, max_files: int = COPY_FILES, max_depth: int = COPY_DEPTH) -> list[str]:
    """Copy what a sandbox left in ``source`` to ``target``, within limits; returns notes on what was left.

    With ``keep``, only those relative paths (the files the scorer reads) are copied: nothing else
    of the sandbox's folder is even listed. Without, regular files are copied folder by folder
    (``walk.entries``, breadth first), at most ``max_entries`` entries looked at, ``max_files``
    files, ``max_depth`` levels; a link, a special file or a folder too deep is passed over. Either
    way: no link (symbolic or hard), FIFO or device is copied (a FIFO would block the grader),
    every path is opened without following links, and at most ``budget`` bytes are copied.
    A million empty folders cost the host nothing: at most ``max_entries`` are looked at.
    """
    from .safefiles import UnsafeFile, _open_nofollow

    target.mkdir()
    notes: list[str] = []
    if keep is not None:
        for relative in keep:
            try:
                fd = _open_nofollow(source, relative)
            except UnsafeFile:
                continue  # absent, a link, or not reachable: the scorer reads it as no answer
            try:
                budget -= _copy_one(fd, target / relative, budget)
            finally:
                os.close(fd)
        return notes
    import stat

    files = 0
    try:  # breadth first: the top's files before any folder's
        with closing(walk.entries(source, limit=max_entries, max_depth=max_depth, breadth_first=True)) as found:
            for entry in found:
                if entry.info is None or not stat.S_ISREG(entry.info.st_mode):
                    continue  # vanished, a link, a FIFO, a device; a folder's files come later
                files += 1
                if files > max_files:
                    notes.append(f"copy back from /grading stopped after {max_files:,} files")
                    return notes
                try:
                    child = os.open(entry.name, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK
                                    | getattr(os, "O_CLOEXEC", 0), dir_fd=entry.dir_fd)
                except OSError:
                    continue
                try:
                    budget -= _copy_one(child, target.joinpath(*entry.parts), budget)
                finally:
                    os.close(child)
    except walk.TooManyEntries:
        notes.append(f"copy back from /grading stopped after {max_entries:,} entries")
    return notes


def run(command: Sequence[str], *, work: Path, read_only: Mapping[str, str | os.PathLike] = {},
        env: Mapping[str, str] = {}, limits: Limits = Limits(), unsafe: bool = False,
        keep: Sequence[str] | None = None) -> RunResult:
    """Run ``command`` in a fresh sandbox whose only writable folder is ``work`` (seen as ``/grading``).

    ``read_only`` maps paths inside the sandbox to folders or files outside. ``unsafe=True``
    runs the command as a plain child process (trusted code only). The whole process tree is
    killed at ``limits.wall_seconds``; its output is kept up to ``limits.output_bytes``. The
    result's ``notes`` say which protections could not be had here (e.g. no control group).
    ``keep`` names the files of ``work`` (relative paths) the caller reads afterwards: as root,
    only those come back from the sandbox's own tmpfs (``None``: a bounded copy of everything).
    """
    work = Path(work)
    notes: list[str] = []
    if unsafe:
        return _run(list(command), work, {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(work), **env},
                    work, limits, None, notes)
    bwrap = check_available()
    with sandbox_uid(notes=notes) as uid, sized_folder(work, limits.work_bytes, notes, inodes=limits.work_inodes,
                                                      keep=keep):
        if os.geteuid() == 0:
            os.chown(work, uid, uid)
            for path in work.rglob("*"):
                os.chown(path, uid, uid, follow_symlinks=False)
        full = _bwrap_args(bwrap, {k: str(v) for k, v in read_only.items()}, work,
                           {"PATH": "/usr/bin:/bin", "HOME": "/tmp", **env}, uid=uid, tmp_bytes=limits.tmp_bytes)
        if os.geteuid() == 0:  # the process limit must apply to the sandbox's user, after the uid switch
            full += ["/usr/bin/prlimit", f"--nproc={limits.processes}", "--"]
        full += list(command)
        group = None
        if limits.cgroup:
            group, how = cgroups.create(memory_bytes=limits.total_memory_bytes, pids=limits.processes + 16,
                                        cpus=limits.cpus)
            if group is None:
                notes.append(f"{how}: memory, processes and CPU are limited per process only")
        try:
            result = _run(full, None, {}, work, limits, group, notes)
            if group is not None and group.oom_kills():
                result.notes.append(f"the kernel killed {group.oom_kills()} process(es) over the memory limit "
                                    f"({limits.total_memory_bytes >> 20} MiB for the whole submission)")
        finally:
            if group is not None:
                group.remove()
    return result


def _run(full: list[str], cwd: Path | None, env: Mapping[str, str], work: Path, limits: Limits,
         group: cgroups.Cgroup | None, notes: list[str]) -> RunResult:
    log = work.parent / f".{work.name}.log"
    start = time.perf_counter()
    with open(log, "wb") as out:
        proc = subprocess.Popen(full, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                cwd=cwd, env=dict(env), start_new_session=True, preexec_fn=_limit(limits, group))
        timed_out = False
        try:
            proc.wait(timeout=limits.wall_seconds)
        except subprocess.TimeoutExpired:
            timed_out = True
        finally:
            try:
                os.killpg(proc.pid, signal.SIGKILL)  # the sandbox's PID namespace dies with it
            except (ProcessLookupError, PermissionError):
                pass
            proc.wait()
    seconds = time.perf_counter() - start
    output = _tail(log, limits.output_bytes)
    log.unlink(missing_ok=True)
    return RunResult(None if timed_out else proc.returncode, timed_out, output, seconds, notes)


def _tail(path: Path, limit: int) -> str:
    size = path.stat().st_size if path.exists() else 0
    if not size:
        return ""
    with open(path, "rb") as handle:
        if size > limit:
            handle.seek(size - limit)
        text = handle.read().decode("utf-8", errors="replace")
    return (f"[... {size - limit:,} earlier bytes cut ...]\n" if size > limit else "") + text
