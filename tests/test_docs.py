"""The docs name only what exists: notebooks, make targets and repository files.

A doc that names ``01_data.ipynb`` (renamed long ago), a ``make`` target the Makefile lacks or a
file nobody committed sends a reader nowhere; these tests read every README and ``docs/*.md``.
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = sorted([*ROOT.glob("README*.md"), *(ROOT / "docs").glob("*.md")])

#: A notebook's name: two digits, an underscore, a name (``05_lstm``, ``05_lstm.ipynb``).
NOTEBOOK = re.compile(r"(?<![\w.-])(\d\d_[a-z][a-z0-9_]*)(?:\.ipynb)?\b")
#: ``make target`` inside code (inline or a block line).
MAKE = re.compile(r"(?:^|[`\s(])make ((?:[A-Z_]+=\S+ )*)([a-z][a-z-]*)\b", re.MULTILINE)
#: A path in backticks or a Markdown link: something with a ``/`` or a known file extension.
PATH = re.compile(r"`([^`\s]+)`|\]\(([^)\s#]+)(?:#[^)]*)?\)")
EXTENSIONS = (".py", ".md", ".yml", ".yaml", ".toml", ".ipynb", ".po", ".cfg", ".json", ".csv", ".txt", ".cjs")


def _notebooks() -> set[str]:
    stems = {p.stem for p in ROOT.glob("notebooks/**/[0-9][0-9]_*.ipynb")}
    stems |= {p.stem for p in ROOT.glob("assignments/**/[0-9][0-9]_*.ipynb")}
    return stems


def _targets() -> set[str]:
    return set(re.findall(r"^([a-z][a-z-]*):", (ROOT / "Makefile").read_text(), re.MULTILINE))


def _ignored(path: str) -> bool:
    """Whether git ignores ``path`` (an output the docs may name before it is made), as a file or a folder."""
    return any(subprocess.run(["git", "-C", str(ROOT), "check-ignore", "-q", "--no-index", p],
                              capture_output=True).returncode == 0 for p in (path, path + "/"))


def _tracked_names() -> set[str]:
    files = subprocess.run(["git", "-C", str(ROOT), "ls-files"], capture_output=True, text=True, check=True)
    return {Path(f).name for f in files.stdout.splitlines()}


def _written_by_the_tools() -> str:
    """The package's and the workflows' source: a name a tool writes (``report.md``) or a workflow
    uses (``actions/deploy-pages``) appears there as a literal."""
    files = [*(ROOT / "course_utils").rglob("*.py"), *(ROOT / "tools").rglob("*.py"),
             *(ROOT / ".github" / "workflows").glob("*.yml"),
             ROOT / "Makefile", ROOT / "pyproject.toml"]
    return "\n".join(p.read_text(encoding="utf-8") for p in files)


def _candidate(text: str) -> str | None:
    """The repository path a backticked or linked text names, or None when it is no path."""
    if re.match(r"^[a-z]+:|^[~/$.]|^-|^(text|image|application)/", text):
        return None  # a URL, an absolute or home path, an option, a MIME type
    if any(c in text for c in "<>*{}[]|=,;()'\"@…") or re.search(r"X\.Y\.Z|NN_|\bvX", text):
        return None  # a placeholder or a glob
    text = text.split(":", 1)[0]
    if "/" not in text and not text.endswith(EXTENSIONS):
        return None
    if not text.endswith((*EXTENSIONS, "/")) and "." in text.rsplit("/", 1)[-1]:
        return None  # a dotted Python name (course_utils.text), not a file
    return text.rstrip("/") or None


def missing_paths(doc: Path, text: str) -> list[str]:
    """The paths ``text`` (the content of ``doc``) names that exist nowhere.

    A path exists when it is there from the repository root or from the doc's folder, when git
    ignores it (an output, made later), or when the tools write it or the workflows use it (its
    name appears in their source); a bare file name (``ci.yml``) when a tracked file has that name.
    """
    tracked, tools = _tracked_names(), _written_by_the_tools()
    missing = []
    for match in PATH.finditer(text):
        raw = match.group(1) or match.group(2)
        path = _candidate(raw)
        if path is None or (ROOT / path).exists() or (doc.parent / path).exists():
            continue
        if ("/" not in path and path in tracked) or _ignored(path) or f"{path}" in tools:
            continue
        missing.append(raw)
    return missing


def _code(text: str) -> str:
    """Inline code and code blocks: where a doc writes commands."""
    blocks = re.findall(r"```[^\n]*\n(.*?)```", text, re.DOTALL)
    return "\n".join(blocks + re.findall(r"`([^`\n]+)`", text))


@pytest.mark.parametrize("doc", DOCS, ids=[p.relative_to(ROOT).as_posix() for p in DOCS])
def test_docs_name_only_notebooks_that_exist(doc):
    known = _notebooks()
    named = {m.group(1) for m in NOTEBOOK.finditer(doc.read_text(encoding="utf-8"))}
    assert named - known == set(), f"{doc.name} names notebooks that do not exist"


@pytest.mark.parametrize("doc", DOCS, ids=[p.relative_to(ROOT).as_posix() for p in DOCS])
def test_docs_name_only_make_targets_that_exist(doc):
    named = {m.group(2) for m in MAKE.finditer(_code(doc.read_text(encoding="utf-8")))}
    assert named - _targets() == set(), f"{doc.name} names make targets the Makefile lacks"


@pytest.mark.parametrize("doc", DOCS, ids=[p.relative_to(ROOT).as_posix() for p in DOCS])
def test_docs_name_only_files_that_exist(doc):
    assert missing_paths(doc, doc.read_text(encoding="utf-8")) == [], f"{doc.name} names files that do not exist"


def test_validation_doc_states_the_targets_of_the_code():
    from course_tools import validation

    per_model = ", ".join(f"{model} ≥ {target:g}" for model, target in validation.TARGETS.items())
    expected = (f"(test accuracy: {per_model}; the best neural model ≥ {validation.BEST_TARGET:g}, and its mean "
                f"over seeds ≥ {validation.BEST_SEED_MEAN_TARGET:g};")
    text = " ".join((ROOT / "docs" / "validation.md").read_text(encoding="utf-8").split())
    assert expected in text, f"docs/validation.md must state the targets as {expected!r}"


def test_the_checks_catch_what_they_guard(tmp_path):
    """Each check finds a planted mistake: a renamed notebook, a missing target, a missing file."""
    doc = ROOT / "docs" / "edition.md"
    planted = ("Run `papermill notebooks/es/01_data.ipynb out.ipynb`, then `make publish`; see\n"
               "`docs/glossary-fr.md`, [the guide](nowhere.md) and `course_utils/missing.py`; but\n"
               "`make site`, `course_utils.text`, `notebooks/outputs/full/` and `ci.yml` exist.")
    assert {m.group(1) for m in NOTEBOOK.finditer(planted)} - _notebooks() == {"01_data"}
    assert {m.group(2) for m in MAKE.finditer(_code(planted))} - _targets() == {"publish"}
    assert missing_paths(doc, planted) == ["docs/glossary-fr.md", "nowhere.md", "course_utils/missing.py"]


def test_readmes_and_make_setup_state_the_python_that_pyproject_requires():
    import tomllib

    required = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    assert required.startswith(">="), required
    version = required[2:]
    for name in ("README.md", "README.es.md"):
        assert f"Python ≥ {version}" in (ROOT / name).read_text(encoding="utf-8"), name
    makefile = (ROOT / "Makefile").read_text()
    setup = makefile[makefile.index("$(VENV)/.installed:"):]
    assert f"sys.version_info < ({version.replace('.', ', ')})" in setup.split("[1/4]")[0], \
        "make setup checks the Python version before it creates the environment"
    assert f"needs Python >= {version}" in setup
