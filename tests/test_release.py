"""make release-check: the release tag is named the same everywhere, the changelog's newest
release is it, and the release holds what the notebooks import. Disagreements are planted in a
copy of the repository (a temporary git repository for the tag checks), never in the real files."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import nbformat
import pytest

from course_utils import config
from course_tools import cells, release

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


@pytest.fixture
def repo(tmp_path):
    """The files release-check reads, copied."""
    for name in ("pyproject.toml", "README.md", "CHANGELOG.md", "course_utils/config.py"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(ROOT / name, tmp_path / name)
    (tmp_path / "notebooks").mkdir()
    for path in NOTEBOOKS:
        shutil.copyfile(path, tmp_path / "notebooks" / path.name)
        cells.sync_notebook(tmp_path / "notebooks" / path.name)  # as `make cells` leaves them
    return tmp_path


def _git(root: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(root), "-c", "user.name=t", "-c", "user.email=t@example.com",
                           "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", *args],
                          check=True, capture_output=True, text=True).stdout


def _tagged(repo: Path, modules: list[str]) -> None:
    """Make ``repo`` a git repository whose tag (config.COURSE_REF) holds ``course_utils/<module>.py``
    for each of ``modules``, and nothing else of the package."""
    for module in modules:
        path = repo / "course_utils" / (module.replace(".", "/") + ".py")
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch()
    _git(repo, "init", "-q")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "release")
    _git(repo, "tag", config.COURSE_REF)


#: Every module of the package today, as files (the notebooks' imports are checked against these).
MODULES = sorted(p.relative_to(ROOT / "course_utils").with_suffix("").as_posix().replace("/", ".")
                 for p in (ROOT / "course_utils").rglob("*.py"))


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


def test_the_real_repository_passes(capsys):
    """On every commit (Unreleased may fill up after a release; where the tag is fetched, the
    notebooks must import only what it holds)."""
    assert release.check(ROOT, releasing=False) == (config.COURSE_REF, [])
    assert release.main(["--between-releases"]) == 0
    assert config.COURSE_REF in capsys.readouterr().out


def test_the_copy_passes_too(repo, capsys):
    assert release.check(repo) == (config.COURSE_REF, [])  # not a git repository: the tag is not made yet
    assert release.main(["--root", str(repo)]) == 0


def test_a_badge_that_opens_another_version_is_caught(repo, capsys):
    path = repo / "notebooks" / "05_lstm.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells[0].source = nb.cells[0].source.replace(f"/blob/{config.COURSE_REF}/", "/blob/v0.1.0/", 1)
    nbformat.write(nb, path)
    _, problems = release.check(repo)
    assert len(problems) == 1
    assert problems[0].startswith("notebooks/05_lstm.ipynb: the Colab badge")
    assert "v0.1.0" in problems[0] and config.COURSE_REF in problems[0]
    assert release.main(["--root", str(repo)]) == 1
    assert "notebooks/05_lstm.ipynb" in capsys.readouterr().err


def test_a_setup_cell_that_installs_another_version_is_caught(repo):
    path = repo / "notebooks" / "02_tokenization_padding.ipynb"
    nb = nbformat.read(path, as_version=4)
    setup = next(c for c in nb.cells if c.cell_type == "code")
    setup.source = cells.setup_cell(config.REPO_URL, "v0.1.9")
    nbformat.write(nb, path)
    _, problems = release.check(repo)
    assert problems == [f"notebooks/02_tokenization_padding.ipynb: the setup cell must install {config.COURSE_REF} "
                        f"of {config.REPO_URL}, but it installs v0.1.9 of {config.REPO_URL} (run `make cells`)."]


def test_course_ref_readme_and_changelog_are_checked_against_pyproject(repo):
    _edit(repo / "course_utils" / "config.py", f'COURSE_REF = "{config.COURSE_REF}"', 'COURSE_REF = "v9.9.9"')
    _edit(repo / "README.md", f"blob/{config.COURSE_REF}/notebooks/07_bigru.ipynb", "blob/main/notebooks/07_bigru.ipynb")
    version = config.COURSE_REF[1:]
    _edit(repo / "CHANGELOG.md", f"## [{version}]", "## [0.1.0]")
    _, problems = release.check(repo)
    assert len(problems) == 3, problems
    assert problems[0].startswith("course_utils/config.py: COURSE_REF is 'v9.9.9'")
    assert problems[1].startswith("README.md line ") and "07_bigru.ipynb opens main" in problems[1]
    assert problems[2] == f"CHANGELOG.md has no '## [{version}]' section for pyproject's version (its latest is 0.1.0)."


def test_a_version_bump_alone_names_every_place_left_behind(repo):
    _edit(repo / "pyproject.toml", f'version = "{config.COURSE_REF[1:]}"', 'version = "9.9.0"')
    ref, problems = release.check(repo)
    assert ref == "v9.9.0"
    files = [p.split(":")[0].split(" line ")[0] for p in problems]
    assert files.count("course_utils/config.py") == 1
    assert {f"notebooks/{p.name}" for p in NOTEBOOKS} <= set(files)
    assert files.count("README.md") >= len(NOTEBOOKS)
    assert any(p.startswith("CHANGELOG.md has no '## [9.9.0]'") for p in problems)


def test_a_missing_changelog_or_unreleased_section_is_caught(repo):
    _edit(repo / "CHANGELOG.md", "## [Unreleased]", "## Next")
    assert release.check(repo)[1] == [
        "CHANGELOG.md has no '## [Unreleased]' section (for what comes after this release)."]
    (repo / "CHANGELOG.md").unlink()
    assert release.check(repo)[1][0].startswith("CHANGELOG.md is missing")


def test_the_pinned_release_must_be_the_newest_in_the_changelog(repo):
    version = config.COURSE_REF[1:]
    _edit(repo / "CHANGELOG.md", f"## [{version}]", f"## [9.0.0]\n\n### Added\n- a later release\n\n## [{version}]")
    assert release.check(repo)[1] == [
        f"CHANGELOG.md: the newest released section is '## [9.0.0]', not '## [{version}]' (pyproject's version): "
        "the pinned release must be the newest one."]


def test_unreleased_entries_fail_while_the_tag_is_not_made(repo, capsys):
    _edit(repo / "CHANGELOG.md", "## [Unreleased]\n", "## [Unreleased]\n\n### Fixed\n- one\n- two\n")
    problems = release.check(repo)[1]
    assert len(problems) == 1 and problems[0].startswith("CHANGELOG.md: '## [Unreleased]' holds 2 entries, but "
                                                         f"{config.COURSE_REF} is not tagged yet")
    assert release.main(["--root", str(repo)]) == 1
    assert "holds 2 entries" in capsys.readouterr().err
    assert release.check(repo, releasing=False)[1] == []  # between releases they belong there
    assert release.main(["--root", str(repo), "--between-releases"]) == 0
    _tagged(repo, MODULES)  # the tag exists: the release is out, main moves on
    assert release.check(repo)[1] == []


def test_a_notebook_importing_the_instructors_tools_is_caught(repo):
    path = repo / "notebooks" / "03_dense_baseline.ipynb"
    nb = nbformat.read(path, as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell("from course_tools.grading import batch\nimport course_tools.runner"))
    nbformat.write(nb, path)
    problems = release.check(repo)[1]
    assert problems == ["notebooks/03_dense_baseline.ipynb imports course_tools.grading, course_tools.runner, the "
                        "instructor's tools, which the course package Colab installs does not hold: use "
                        "course_utils, or move what it needs there (docs/architecture.md)."]


def test_a_notebook_importing_a_module_the_tag_lacks_is_caught(repo):
    """v0.2.0 had no course_utils.batching, which notebook 02 imports."""
    assert "course_utils.batching" in release.notebook_imports(repo / "notebooks" / "02_tokenization_padding.ipynb",
                                                               ROOT)
    _tagged(repo, [m for m in MODULES if m != "batching"])
    (repo / "course_utils" / "batching.py").touch()  # added on main after the tag
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "batching")
    assert release.tag_exists(repo, config.COURSE_REF)
    assert "course_utils.batching" not in release.tag_modules(repo, config.COURSE_REF)
    _ref, problems = release.check(repo)
    importers = [p.split(" ")[0] for p in problems]
    assert importers and all(p.endswith("imports course_utils.batching, which the release "
                                        f"{config.COURSE_REF} that its badge and setup cell install does not have: "
                                        "release a new version (docs/release.md).") for p in problems), problems
    assert "notebooks/02_tokenization_padding.ipynb" in importers
    # the same notebooks against a tag that holds the module: nothing to say
    shutil.rmtree(repo / ".git")
    _tagged(repo, MODULES)
    assert release.check(repo)[1] == []


def test_imports_are_read_from_every_form_of_import(tmp_path):
    (tmp_path / "course_utils" / "grading").mkdir(parents=True)
    for name in ("__init__.py", "data.py", "grading/__init__.py", "grading/batch.py"):
        (tmp_path / "course_utils" / name).touch()
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("%matplotlib inline\n!pip list\nimport course_utils.grading.batch as b\n"
                                  "from course_utils import data, COURSE_NAME\nimport numpy"),
        nbformat.v4.new_code_cell("from course_utils.grading import batch\nfrom course_utils.text import tokenize"),
        nbformat.v4.new_code_cell("this is not python ("),
        nbformat.v4.new_markdown_cell("import course_utils.nothing"),
    ])
    path = tmp_path / "01_x.ipynb"
    nbformat.write(nb, path)
    assert release.notebook_imports(path, tmp_path) == {
        "course_utils", "course_utils.data", "course_utils.grading.batch", "course_utils.grading",
        "course_utils.text"}
