"""Control groups for sandboxes, on fake /sys/fs/cgroup trees (fast, no kernel): what is written
for cgroup v2 and v1, and the clear note where none can be made. The real kernel's side is
tried in tests/test_sandbox.py (a memory hog killed, a process hog contained)."""
from __future__ import annotations

from pathlib import Path

import pytest

from course_tools.grading import batch, cgroups, sandbox


def _tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)


def test_v2_delegates_memory_pids_and_cpu_and_sets_every_limit(tmp_path):
    _tree(tmp_path, {"sys/cgroup.controllers": "cpuset cpu io memory pids", "sys/job/cgroup.controllers": "cpu memory pids",
                     "sys/job/cgroup.subtree_control": "", "self": "0::/job\n"})
    group, how = cgroups.create(memory_bytes=1 << 30, pids=80, cpus=1.5, root=tmp_path / "sys",
                                self_file=tmp_path / "self", name="g")
    assert how == "cgroup v2" and group.version == 2
    folder = tmp_path / "sys" / "job" / "g"
    assert group.dirs == {"cpu": folder, "memory": folder, "pids": folder}
    assert (tmp_path / "sys" / "job" / "cgroup.subtree_control").read_text() == "+cpu +memory +pids\n"
    assert {f.name: f.read_text() for f in folder.iterdir()} == {
        "memory.max": f"{1 << 30}\n", "pids.max": "80\n", "cpu.max": "150000 100000\n"}


def test_v1_uses_the_memory_pids_and_cpu_hierarchies_under_its_own_groups(tmp_path):
    _tree(tmp_path, {"sys/unified/cgroup.controllers": "", "self": "4:memory:/job\n8:pids:/\n1:cpu,cpuacct:/\n0::/\n",
                     **{f"sys/{c}/cgroup.procs": "" for c in ("memory", "pids", "cpu")},
                     "sys/memory/job/cgroup.procs": ""})
    group, how = cgroups.create(memory_bytes=512 << 20, pids=40, cpus=1.0, root=tmp_path / "sys",
                                self_file=tmp_path / "self", name="g")
    assert how.startswith("cgroup v1 (cpu, memory, pids)"), how
    assert group.dirs == {"memory": tmp_path / "sys/memory/job/g", "pids": tmp_path / "sys/pids/g",
                          "cpu": tmp_path / "sys/cpu/g"}
    assert (group.dirs["memory"] / "memory.limit_in_bytes").read_text() == f"{512 << 20}\n"
    assert (group.dirs["pids"] / "pids.max").read_text() == "40\n"
    assert (group.dirs["cpu"] / "cpu.cfs_quota_us").read_text() == "100000\n"
    group.enter(12345)
    assert all((d / "cgroup.procs").read_text() == "12345\n" for d in group.dirs.values())


def test_without_controllers_it_says_why_and_makes_nothing(tmp_path):
    _tree(tmp_path, {"sys/cgroup.controllers": "cpu io", "sys/cgroup.subtree_control": "", "self": "0::/\n"})
    group, how = cgroups.create(memory_bytes=1 << 30, pids=10, cpus=1, root=tmp_path / "sys", self_file=tmp_path / "self")
    assert group is None
    assert how.startswith("no control group: cgroup v2 at") and "does not delegate memory and pids" in how
    assert "cgroup v1: no memory hierarchy" in how
    assert sorted(p.name for p in (tmp_path / "sys").iterdir()) == ["cgroup.controllers", "cgroup.subtree_control"]


def test_a_sandbox_without_a_control_group_runs_and_notes_it(tmp_path, monkeypatch):
    monkeypatch.setattr(sandbox.cgroups, "create", lambda **kw: (None, "no control group: not root"))
    work = tmp_path / "work"
    work.mkdir()
    import sys
    result = sandbox.run([sys.executable, "-c", "print('ran')"], work=work, limits=sandbox.Limits(wall_seconds=60))
    assert result.output.strip() == "ran"
    assert "no control group: not root: memory, processes and CPU are limited per process only" in result.notes


def test_workers_times_memory_must_fit_the_machine():
    limits = sandbox.Limits(total_memory_bytes=4 << 30)
    batch.check_memory_fits(2, limits, machine=8 << 30)
    with pytest.raises(ValueError, match=r"^3 workers × 4096 MiB per sandbox = 12288 MiB, more than this machine's "
                                         r"8192 MiB: grade with fewer --workers \(at most 2\) or a smaller --memory"):
        batch.check_memory_fits(3, limits, machine=8 << 30)
    assert cgroups.machine_memory() > 0
