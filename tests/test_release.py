"""make release-check: the release tag is named the same everywhere. Disagreements are planted
in a copy of the repository, never in the real files."""
from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest

from course_utils import config
from course_utils.workbook import cells, release

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
    return tmp_path


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert old in text, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new))


def test_the_real_repository_passes(capsys):
    assert release.check(ROOT) == (config.COURSE_REF, [])
    assert release.main([]) == 0
    assert config.COURSE_REF in capsys.readouterr().out


def test_the_copy_passes_too(repo):
    assert release.check(repo) == (config.COURSE_REF, [])


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
    _edit(repo / "pyproject.toml", f'version = "{config.COURSE_REF[1:]}"', 'version = "0.3.0"')
    ref, problems = release.check(repo)
    assert ref == "v0.3.0"
    files = [p.split(":")[0].split(" line ")[0] for p in problems]
    assert files.count("course_utils/config.py") == 1
    assert {f"notebooks/{p.name}" for p in NOTEBOOKS} <= set(files)
    assert files.count("README.md") >= len(NOTEBOOKS)
    assert any(p.startswith("CHANGELOG.md has no '## [0.3.0]'") for p in problems)


def test_a_missing_changelog_or_unreleased_section_is_caught(repo):
    _edit(repo / "CHANGELOG.md", "## [Unreleased]", "## Next")
    assert release.check(repo)[1] == [
        "CHANGELOG.md has no '## [Unreleased]' section (for what comes after this release)."]
    (repo / "CHANGELOG.md").unlink()
    assert release.check(repo)[1][0].startswith("CHANGELOG.md is missing")
