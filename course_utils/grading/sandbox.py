"""An operating-system sandbox for one untrusted submission, built on bubblewrap (``bwrap``).

What the sandboxed command sees: a read-only view of the Python installation and of the
folders it is given (a pristine copy of ``course_utils``, the data it needs), one private
writable folder (``/work``), a private ``/tmp``, no network, its own PID namespace (nothing
it starts outlives it, and it sees no other process), and limits on address space, CPU time,
processes and file size. The repository, the submissions folder, ``grades/``, other
students and the batch's ``/proc`` are simply not there. As root it also drops to the
``nobody`` user, so the process limit counts only its own processes.
"""
from __future__ import annotations

import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

WORK = "/grading"  # not /work: the venv may live under /work
NOBODY = 65534
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


def _bwrap_args(bwrap: str, read_only: Mapping[str, str], work: Path | None, env: Mapping[str, str]) -> list[str]:
    # As root: every namespace but the user one, so that `nobody` below is the real `nobody`.
    unshare = (["--unshare-ipc", "--unshare-pid", "--unshare-net", "--unshare-uts", "--unshare-cgroup-try"]
               if os.geteuid() == 0 else ["--unshare-all"])
    args = [bwrap, *unshare, "--die-with-parent", "--new-session",
            "--proc", "/proc", "--dev", "/dev", "--perms", "1777", "--tmpfs", "/tmp",
            "--perms", "1777", "--tmpfs", "/dev/shm", "--clearenv"]
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
    if os.geteuid() == 0:  # privileged bubblewrap: become nobody inside, with no way back
        args += ["--", shutil.which("setpriv") or "/usr/bin/setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}",
                 "--clear-groups", "--no-new-privs", "--inh-caps=-all", "--bounding-set=-all"]
    else:
        args += ["--"]
    return args


def _limit(limits: Limits):
    """Set resource limits in the child before it execs bubblewrap (they are inherited)."""
    def apply() -> None:
        for name, value in ((resource.RLIMIT_AS, limits.memory_bytes), (resource.RLIMIT_CPU, limits.cpu_seconds),
                            (resource.RLIMIT_FSIZE, limits.file_bytes), (resource.RLIMIT_CORE, 0)):
            resource.setrlimit(name, (value, value))
        if os.geteuid() != 0:  # as root the limit is set for `nobody` below, at the setpriv step
            resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
    return apply


def run(command: Sequence[str], *, work: Path, read_only: Mapping[str, str | os.PathLike] = {},
        env: Mapping[str, str] = {}, limits: Limits = Limits(), unsafe: bool = False) -> RunResult:
    """Run ``command`` in a fresh sandbox whose only writable folder is ``work`` (seen as ``/work``).

    ``read_only`` maps paths inside the sandbox to folders or files outside. ``unsafe=True``
    runs the command as a plain child process (trusted code only). The whole process tree is
    killed at ``limits.wall_seconds``; its output is kept up to ``limits.output_bytes``.
    """
    work = Path(work)
    notes: list[str] = []
    if unsafe:
        base_env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(work), **env}
        full = list(command)
        cwd = work
    else:
        bwrap = check_available()
        if os.geteuid() == 0:
            os.chown(work, NOBODY, NOBODY)
            for path in work.rglob("*"):
                os.chown(path, NOBODY, NOBODY, follow_symlinks=False)
        full = _bwrap_args(bwrap, {k: str(v) for k, v in read_only.items()}, work,
                           {"PATH": "/usr/bin:/bin", "HOME": "/tmp", **env})
        if os.geteuid() == 0:  # the process limit must apply to `nobody`, after the uid switch
            full += ["/usr/bin/prlimit", f"--nproc={limits.processes}", "--"]
        full += list(command)
        base_env, cwd = {}, None
    log = work.parent / f".{work.name}.log"
    start = time.perf_counter()
    with open(log, "wb") as out:
        proc = subprocess.Popen(full, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                cwd=cwd, env=base_env, start_new_session=True, preexec_fn=_limit(limits))
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
