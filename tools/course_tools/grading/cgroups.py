"""One control group per sandbox: its own memory (children and tmpfs included), process and
CPU accounting, so that one submission cannot starve or crash a classmate graded beside it.

Supports cgroup v2 (one unified hierarchy, where the ``memory`` and ``pids`` controllers can
be delegated) and cgroup v1 (``memory`` and ``pids`` hierarchies, ``cpu`` if mounted). The
group is made under the grading process's own group, so limits set above it still hold.
Where none can be made (not root, no controllers), :func:`create` returns ``None`` and a note
saying why; the sandbox then relies on per-process limits only, and says so.
"""
from __future__ import annotations

import os
import signal
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")
SELF = Path("/proc/self/cgroup")
CPU_PERIOD_US = 100_000


@dataclass
class Cgroup:
    """A created control group: one folder (v2) or one per controller (v1)."""

    version: int
    dirs: dict[str, Path]
    notes: list[str] = field(default_factory=list)

    def enter(self, pid: int | None = None) -> None:
        """Move ``pid`` (default: this process) into the group; its children follow."""
        pid = os.getpid() if pid is None else pid
        for folder in dict.fromkeys(self.dirs.values()):
            (folder / "cgroup.procs").write_text(f"{pid}\n")

    def pids(self) -> set[int]:
        """The processes in the group now."""
        found: set[int] = set()
        for folder in dict.fromkeys(self.dirs.values()):
            try:
                found |= {int(p) for p in (folder / "cgroup.procs").read_text().split()}
            except OSError:
                pass
        return found

    def oom_kills(self) -> int:
        """How many processes the kernel killed for exceeding the group's memory."""
        folder = self.dirs.get("memory")
        if folder is None:
            return 0
        name = "memory.events" if self.version == 2 else "memory.oom_control"
        try:
            for line in (folder / name).read_text().splitlines():
                key, _, value = line.partition(" ")
                if key == "oom_kill":
                    return int(value)
        except (OSError, ValueError):
            pass
        return 0

    def remove(self, wait: float = 10.0) -> None:
        """Kill whatever is left in the group, then delete it."""
        if not self.dirs:
            return
        kill = self.dirs.get("memory", next(iter(self.dirs.values()))) / "cgroup.kill"
        if self.version == 2 and kill.exists():
            try:
                kill.write_text("1\n")
            except OSError:
                pass
        deadline = time.monotonic() + wait
        while (left := self.pids()) and time.monotonic() < deadline:
            for pid in left:
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
            time.sleep(0.05)
        for folder in dict.fromkeys(self.dirs.values()):
            try:
                folder.rmdir()
            except OSError:
                pass


def _own_paths(self_file: Path) -> dict[str, str]:
    """Controller (``""`` for v2) -> this process's group path, from ``/proc/self/cgroup``."""
    paths = {}
    for line in self_file.read_text().splitlines():
        _, controllers, path = line.split(":", 2)
        for controller in controllers.split(",") if controllers else [""]:
            paths[controller] = path
    return paths


def _write(folder: Path, name: str, value: str) -> None:
    (folder / name).write_text(value + "\n")


def _v2_mount(root: Path) -> Path | None:
    for candidate in (root, root / "unified"):
        if (candidate / "cgroup.controllers").is_file():
            return candidate
    return None


def create(*, memory_bytes: int, pids: int, cpus: float, root: Path = ROOT, self_file: Path = SELF,
           name: str | None = None) -> tuple[Cgroup | None, str]:
    """Make a group for one sandbox with these limits; ``(None, why)`` where none can be made."""
    name = name or f"grading-{uuid.uuid4().hex[:12]}"
    try:
        own = _own_paths(self_file)
    except (OSError, ValueError) as exc:
        return None, f"no control group: cannot read {self_file} ({type(exc).__name__})"
    notes = []
    unified = _v2_mount(root)
    if unified is not None and "" in own:
        group = _create_v2(unified, own[""], name, memory_bytes, pids, cpus)
        if isinstance(group, Cgroup):
            return group, "cgroup v2"
        notes.append(group)
    group = _create_v1(root, own, name, memory_bytes, pids, cpus)
    if isinstance(group, Cgroup):
        return group, "cgroup v1 (" + ", ".join(sorted(group.dirs)) + ")"
    notes.append(group)
    return None, "no control group: " + "; ".join(notes)


def _create_v2(mount: Path, own: str, name: str, memory_bytes: int, pids: int, cpus: float) -> Cgroup | str:
    parent = mount / own.lstrip("/")
    try:
        available = set((parent / "cgroup.controllers").read_text().split())
        if not {"memory", "pids"} <= available:
            return f"cgroup v2 at {mount} does not delegate memory and pids here (has: {sorted(available) or 'none'})"
        wanted = {"memory", "pids"} | ({"cpu"} & available)
        enabled = set((parent / "cgroup.subtree_control").read_text().split())
        if not wanted <= enabled:
            _write(parent, "cgroup.subtree_control", " ".join(f"+{c}" for c in sorted(wanted - enabled)))
        folder = parent / name
        folder.mkdir()
    except OSError as exc:
        return f"cgroup v2 at {mount}: {exc.strerror or type(exc).__name__}"
    group = Cgroup(2, {c: folder for c in sorted(wanted)})
    try:
        _write(folder, "memory.max", str(memory_bytes))
        if (folder / "memory.swap.max").exists():
            _write(folder, "memory.swap.max", "0")
        _write(folder, "pids.max", str(pids))
        if "cpu" in wanted:
            _write(folder, "cpu.max", f"{max(1000, int(cpus * CPU_PERIOD_US))} {CPU_PERIOD_US}")
    except OSError as exc:
        group.remove()
        return f"cgroup v2: cannot set limits ({exc.strerror or type(exc).__name__})"
    return group


def _create_v1(root: Path, own: dict[str, str], name: str, memory_bytes: int, pids: int,
               cpus: float) -> Cgroup | str:
    dirs: dict[str, Path] = {}
    for controller in ("memory", "pids", "cpu"):
        mount = root / controller
        key = next((k for k in own if controller in k.split(",")), None)
        if not (mount / "cgroup.procs").is_file() or key is None:
            if controller == "cpu":
                continue
            return f"cgroup v1: no {controller} hierarchy at {mount}"
        try:
            folder = mount / own[key].lstrip("/") / name
            folder.mkdir()
        except OSError as exc:
            Cgroup(1, dirs).remove()
            return f"cgroup v1 {controller}: {exc.strerror or type(exc).__name__}"
        dirs[controller] = folder
    group = Cgroup(1, dirs)
    try:
        _write(dirs["memory"], "memory.limit_in_bytes", str(memory_bytes))
        if (dirs["memory"] / "memory.memsw.limit_in_bytes").exists():
            _write(dirs["memory"], "memory.memsw.limit_in_bytes", str(memory_bytes))  # no swap either
        _write(dirs["pids"], "pids.max", str(pids))
        if "cpu" in dirs:
            _write(dirs["cpu"], "cpu.cfs_period_us", str(CPU_PERIOD_US))
            _write(dirs["cpu"], "cpu.cfs_quota_us", str(max(1000, int(cpus * CPU_PERIOD_US))))
    except OSError as exc:
        group.remove()
        return f"cgroup v1: cannot set limits ({exc.strerror or type(exc).__name__})"
    return group


def machine_memory(meminfo: Path = Path("/proc/meminfo")) -> int | None:
    """The machine's memory in bytes (``MemTotal``), or ``None`` where unknown."""
    try:
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None
