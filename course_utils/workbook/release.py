"""``make release-check``: everything that names the release agrees with pyproject's version.

The version in ``pyproject.toml`` (``X.Y.Z``) decides the release tag, ``vX.Y.Z``. This module
checks, and names the file and the disagreement for each one that differs:

* ``course_utils/config.py``: ``COURSE_REF`` is the tag (the badges and setup cells read it);
* every notebook (``notebooks/`` and each edition's folder): its first cell starts with the
  Colab badge of the tag, and its first code cell is the setup cell that installs the tag
  (both as ``course_utils.workbook.cells`` writes them);
* ``README.md``: every Colab link opens the tag;
* ``CHANGELOG.md``: an ``## [Unreleased]`` section and a ``## [X.Y.Z]`` section.

It reads the files of the repository it is given, so it can check a copy (the tests do).
"""
from __future__ import annotations

import argparse
import ast
import re
import sys
import tomllib
from pathlib import Path
from typing import Sequence

import nbformat

from . import cells

ROOT = Path(__file__).resolve().parents[2]
#: The folders whose numbered notebooks carry a badge and a setup cell (each site edition's).
NOTEBOOK_FOLDERS = ("notebooks", "notebooks/es")
COLAB_LINK = re.compile(r"https://colab\.research\.google\.com/github/(?P<repo>[^/\s)]+/[^/\s)]+)/blob/"
                        r"(?P<ref>[^/\s)]+)/(?P<path>[^\s)]+)")
SETUP_REF = re.compile(r'^REPO_URL, REF = "(?P<url>[^"]*)", "(?P<ref>[^"]*)"$', re.MULTILINE)


def project_version(root: Path) -> str:
    """``[project] version`` of ``root/pyproject.toml``."""
    path = root / "pyproject.toml"
    try:
        version = tomllib.loads(path.read_text(encoding="utf-8"))["project"]["version"]
    except (OSError, tomllib.TOMLDecodeError, KeyError) as exc:
        raise ValueError(f"{path}: cannot read [project] version ({exc}).") from exc
    if not re.fullmatch(r"\d+\.\d+\.\d+", version):
        raise ValueError(f"{path}: version {version!r} is not X.Y.Z.")
    return version


def config_constants(root: Path) -> dict[str, str]:
    """``REPO_URL`` and ``COURSE_REF`` as ``root/course_utils/config.py`` assigns them (read, not imported)."""
    path = root / "course_utils" / "config.py"
    found = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant):
            for target in node.targets:
                if isinstance(target, ast.Name) and target.id in ("REPO_URL", "COURSE_REF"):
                    found[target.id] = node.value.value
    missing = {"REPO_URL", "COURSE_REF"} - set(found)
    if missing:
        raise ValueError(f"{path}: no plain string assignment of {sorted(missing)}.")
    return found


def notebook_paths(root: Path) -> list[Path]:
    """The numbered notebooks of every edition folder that exists."""
    paths = []
    for folder in NOTEBOOK_FOLDERS:
        paths += sorted((root / folder).glob("[0-9][0-9]_*.ipynb"))
    return paths


def _relative(path: Path, root: Path) -> str:
    return path.relative_to(root).as_posix()


def check_notebook(path: Path, root: Path, ref: str, repo_url: str) -> list[str]:
    """What in one notebook's badge or setup cell disagrees with ``ref``."""
    name = _relative(path, root)
    in_notebooks = path.relative_to(root / "notebooks").as_posix()
    nb = nbformat.read(path, as_version=4)
    problems = []
    first = nb.cells[0].source if nb.cells else ""
    badge = cells.colab_badge(in_notebooks, ref, repo_url)
    if not first.startswith(badge):
        link = COLAB_LINK.search(first.split("\n", 1)[0])
        seen = (f"it opens {link['ref']} of {link['path']}" if link else "it has no Colab badge")
        problems.append(f"{name}: the Colab badge must open {ref} of notebooks/{in_notebooks}, but {seen} "
                        "(run `make cells`).")
    code = [c for c in nb.cells if c.cell_type == "code"]
    setup = code[0].source if code else ""
    if setup != cells.setup_cell(repo_url, ref, cells.edition_of(path, root / "notebooks")):
        pinned = SETUP_REF.search(setup)
        seen = (f"it installs {pinned['ref']} of {pinned['url']}" if pinned
                else "its first code cell is not the setup cell")
        problems.append(f"{name}: the setup cell must install {ref} of {repo_url}, but {seen} (run `make cells`).")
    return problems


def check_readme(root: Path, ref: str, repo_url: str) -> list[str]:
    """README.md's Colab links that open another ref or another repository."""
    path = root / "README.md"
    repo = repo_url.rstrip("/").split("github.com/")[-1]
    problems = []
    for line_number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        for link in COLAB_LINK.finditer(line):
            if link["ref"] != ref or link["repo"] != repo:
                problems.append(f"README.md line {line_number}: the Colab link to {link['path']} opens "
                                f"{link['ref']} of {link['repo']}, not {ref} of {repo}.")
    return problems


def check_changelog(root: Path, version: str) -> list[str]:
    """CHANGELOG.md must have an Unreleased section and one for ``version``."""
    path = root / "CHANGELOG.md"
    if not path.is_file():
        return [f"CHANGELOG.md is missing: create it with '## [Unreleased]' and '## [{version}]' sections."]
    headings = re.findall(r"^## \[([^\]]+)\]", path.read_text(encoding="utf-8"), re.MULTILINE)
    problems = []
    if "Unreleased" not in headings:
        problems.append("CHANGELOG.md has no '## [Unreleased]' section (for what comes after this release).")
    if version not in headings:
        latest = next((h for h in headings if h != "Unreleased"), None)
        problems.append(f"CHANGELOG.md has no '## [{version}]' section for pyproject's version"
                        + (f" (its latest is {latest})." if latest else "."))
    return problems


def check(root: str | Path = ROOT) -> tuple[str, list[str]]:
    """Every disagreement with pyproject's version in the repository at ``root``.

    Returns
    -------
    (str, list of str)
        The release tag (``v`` + version) and one message per disagreement, each naming its file.
    """
    root = Path(root).resolve()
    version = project_version(root)
    ref = f"v{version}"
    constants = config_constants(root)
    problems = []
    if constants["COURSE_REF"] != ref:
        problems.append(f"course_utils/config.py: COURSE_REF is {constants['COURSE_REF']!r}, but pyproject.toml's "
                        f"version {version} makes the release tag {ref!r}.")
    notebooks = notebook_paths(root)
    if not notebooks:
        problems.append(f"no numbered notebooks in {', '.join(NOTEBOOK_FOLDERS)}.")
    for path in notebooks:
        problems += check_notebook(path, root, ref, constants["REPO_URL"])
    problems += check_readme(root, ref, constants["REPO_URL"])
    problems += check_changelog(root, version)
    return ref, problems


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m course_utils.workbook.release [--root DIR]``; exit 1 on disagreement."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", default=str(ROOT), help="the repository to check")
    parser.add_argument("--print-tag", action="store_true", help="print only the release tag when all agree")
    args = parser.parse_args(argv)
    try:
        ref, problems = check(args.root)
    except (OSError, ValueError, SyntaxError) as exc:
        print(f"release-check: {exc}", file=sys.stderr)
        return 1
    if problems:
        print(f"release-check: {len(problems)} disagreement(s) with the release tag {ref}:", file=sys.stderr)
        for problem in problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    print(ref if args.print_tag else f"release-check: {ref} is named the same everywhere "
          "(pyproject.toml, config.COURSE_REF, notebook badges and setup cells, README.md, CHANGELOG.md).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
