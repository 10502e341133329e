"""``make release-check``: everything that names the release agrees with pyproject's version.

The version in ``pyproject.toml`` (``X.Y.Z``) decides the release tag, ``vX.Y.Z``. This module
checks, and names the file and the disagreement for each one that differs:

* ``course_utils/config.py``: ``COURSE_REF`` is the tag (the badges and setup cells read it);
* every notebook (``notebooks/`` and each edition's folder): its first cell starts with the
  Colab badge of the tag, and its first code cell is the setup cell that installs the tag
  (both as ``course_tools.cells`` writes them);
* ``README.md`` and ``README.es.md``: every Colab link opens the tag;
* ``CHANGELOG.md``: an ``## [Unreleased]`` section, and ``## [X.Y.Z]`` as the newest released
  section (the first below Unreleased): a changelog whose newest release is another is out of step.

Then it asks whether the tag exists in the local repository (``git rev-parse -q --verify
refs/tags/vX.Y.Z``):

* **not yet** (a maintainer before tagging, or the Release workflow, whose checkout fetches no
  tags): this commit is the release, so ``## [Unreleased]`` must hold no entry: every entry
  belongs in the ``## [X.Y.Z]`` section that becomes the release notes;
* **yes** (the release is out, and ``main`` moves on): every notebook may import only the
  ``course_utils`` modules that the tag holds (``git ls-tree``), since its badge and setup cell
  install the tag. A notebook that imports a module added since fails here, until a new release.

It reads the files of the repository it is given, so it can check a copy (the tests do).
"""
from __future__ import annotations

import argparse
import ast
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from collections.abc import Iterator, Sequence

import nbformat

from . import cells, layout

ROOT = layout.repository_root()
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
    found: dict[str, str] = {}
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
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
    """The Colab links of README.md (and of each edition's README, e.g. README.es.md) that open
    another ref or another repository."""
    repo = repo_url.rstrip("/").split("github.com/")[-1]
    problems = []
    for path in sorted(root.glob("README*.md")):
        for line_number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for link in COLAB_LINK.finditer(line):
                if link["ref"] != ref or link["repo"] != repo:
                    problems.append(f"{path.name} line {line_number}: the Colab link to {link['path']} opens "
                                    f"{link['ref']} of {link['repo']}, not {ref} of {repo}.")
    return problems


def changelog_sections(text: str) -> list[tuple[str, str]]:
    """The ``## [name]`` sections of a changelog, in order, each with its body."""
    parts = re.split(r"^## \[([^\]]+)\][^\n]*$", text, flags=re.MULTILINE)
    return list(zip(parts[1::2], parts[2::2]))


#: An entry of a changelog section: a list item.
_ENTRY = re.compile(r"^\s*[-*+] \S", re.MULTILINE)


def check_changelog(root: Path, version: str, *, releasing: bool = False) -> list[str]:
    """CHANGELOG.md must have an Unreleased section, and ``version``'s as its newest release.

    Parameters
    ----------
    root : Path
        The repository.
    version : str
        pyproject's version, ``X.Y.Z``.
    releasing : bool
        Whether this commit is about to be tagged: then Unreleased must hold no entry.

    Returns
    -------
    list of str
        One message per problem.
    """
    path = root / "CHANGELOG.md"
    if not path.is_file():
        return [f"CHANGELOG.md is missing: create it with '## [Unreleased]' and '## [{version}]' sections."]
    sections = changelog_sections(path.read_text(encoding="utf-8"))
    headings = [name for name, _body in sections]
    released = [name for name in headings if name != "Unreleased"]
    problems = []
    if "Unreleased" not in headings:
        problems.append("CHANGELOG.md has no '## [Unreleased]' section (for what comes after this release).")
    if version not in headings:
        latest = released[0] if released else None
        problems.append(f"CHANGELOG.md has no '## [{version}]' section for pyproject's version"
                        + (f" (its latest is {latest})." if latest else "."))
    elif released[0] != version:
        problems.append(f"CHANGELOG.md: the newest released section is '## [{released[0]}]', not '## [{version}]' "
                        f"(pyproject's version): the pinned release must be the newest one.")
    if releasing:
        entries = sum(len(_ENTRY.findall(body)) for name, body in sections if name == "Unreleased")
        if entries:
            problems.append(f"CHANGELOG.md: '## [Unreleased]' holds {entries} entr{'y' if entries == 1 else 'ies'}, "
                            f"but v{version} is not tagged yet, so this commit is its release: move them under "
                            f"'## [{version}]' (docs/release.md). If v{version} is released already, fetch its tag "
                            f"(`git fetch --tags`).")
    return problems


def _git(root: Path, *args: str) -> subprocess.CompletedProcess | None:
    try:
        return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, timeout=60)
    except (OSError, subprocess.SubprocessError):
        return None


def tag_exists(root: Path, ref: str) -> bool:
    """Whether the repository at ``root`` has the tag ``ref`` locally (False outside a git repository)."""
    run = _git(root, "rev-parse", "-q", "--verify", f"refs/tags/{ref}")
    return run is not None and run.returncode == 0


def tag_modules(root: Path, ref: str) -> set[str]:
    """The ``course_utils`` modules and packages (dotted names) in the tree of tag ``ref``."""
    run = _git(root, "ls-tree", "-r", "--name-only", f"refs/tags/{ref}", "--", "course_utils")
    if run is None or run.returncode != 0:
        raise ValueError(f"git ls-tree cannot read the tag {ref}: {run.stderr.strip() if run else 'no git'}")
    modules: set[str] = set()
    for name in run.stdout.splitlines():
        if name.endswith(".py"):
            parts = name[:-3].split("/")
            if parts[-1] == "__init__":
                parts = parts[:-1]
            modules.update(".".join(parts[:i]) for i in range(1, len(parts) + 1))
    return modules


def _code(source: str) -> ast.Module | None:
    """A code cell's syntax tree, its IPython lines (``%magic``, ``!shell``) left out; None if unparseable."""
    lines = ["" if line.lstrip().startswith(("%", "!")) else line for line in source.splitlines()]
    try:
        return ast.parse("\n".join(lines))
    except SyntaxError:
        return None


def _imports(path: Path, package: str) -> Iterator[ast.Import | ast.ImportFrom]:
    """The ``import`` and absolute ``from … import`` statements of one notebook's code cells that
    name ``package`` or one of its modules."""
    for cell in nbformat.read(path, as_version=4).cells:
        tree = _code(cell.source) if cell.cell_type == "code" else None
        for node in ast.walk(tree) if tree is not None else ():
            if isinstance(node, ast.Import) and any(a.name.split(".")[0] == package for a in node.names):
                yield node
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module \
                    and node.module.split(".")[0] == package:
                yield node


def notebook_imports(path: Path, root: Path) -> set[str]:
    """The ``course_utils`` modules one notebook's code cells import (dotted names).

    ``from course_utils import x`` counts ``course_utils.x`` when ``x`` is a module or package
    in ``root``'s working tree (otherwise a name that ``course_utils/__init__.py`` defines).
    """
    found: set[str] = set()
    for node in _imports(path, "course_utils"):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "course_utils")
        else:
            module = node.module or ""
            found.add(module)
            folder = root.joinpath(*module.split("."))
            found.update(f"{module}.{a.name}" for a in node.names
                         if (folder / f"{a.name}.py").is_file() or (folder / a.name / "__init__.py").is_file())
    return found


def tools_imports(path: Path) -> set[str]:
    """The modules of the instructor's tools (``course_tools``) one notebook's code cells import:
    the course wheel Colab installs does not hold them."""
    found: set[str] = set()
    for node in _imports(path, "course_tools"):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.split(".")[0] == "course_tools")
        else:
            found.add(node.module or "")
    return found


def check_tools_imports(root: Path, notebooks: Sequence[Path]) -> list[str]:
    """The notebooks that import a module of the instructor's tools, which Colab never has."""
    problems = []
    for path in notebooks:
        tools = sorted(tools_imports(path))
        if tools:
            problems.append(f"{_relative(path, root)} imports {', '.join(tools)}, the instructor's tools, which "
                            f"the course package Colab installs does not hold: use course_utils, or move what it "
                            f"needs there (docs/architecture.md).")
    return problems


def check_imports(root: Path, ref: str, notebooks: Sequence[Path]) -> list[str]:
    """The notebooks that import a ``course_utils`` module the tag ``ref`` does not hold."""
    have = tag_modules(root, ref)
    problems = []
    for path in notebooks:
        missing = sorted(notebook_imports(path, root) - have)
        if missing:
            problems.append(f"{_relative(path, root)} imports {', '.join(missing)}, which the release {ref} that "
                            f"its badge and setup cell install does not have: release a new version "
                            f"(docs/release.md).")
    return problems


def check(root: str | Path = ROOT, *, releasing: bool | None = None) -> tuple[str, list[str]]:
    """Every disagreement with pyproject's version in the repository at ``root``.

    Parameters
    ----------
    root : str or Path
        The repository (a git work tree for the tag checks).
    releasing : bool, optional
        Whether this commit is the release about to be tagged; by default, whether the tag is
        missing from ``root``'s git repository. Releasing: Unreleased must hold no entry. Not
        releasing: where the tag exists locally, the notebooks may import only the modules it holds.

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
    problems += check_tools_imports(root, notebooks)
    problems += check_readme(root, ref, constants["REPO_URL"])
    tagged = tag_exists(root, ref)
    releasing = not tagged if releasing is None else releasing
    problems += check_changelog(root, version, releasing=releasing)
    if tagged and not releasing:
        problems += check_imports(root, ref, notebooks)
    return ref, problems


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m course_tools.release [--root DIR]``; exit 1 on disagreement."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", default=str(ROOT), help="the repository to check")
    parser.add_argument("--print-tag", action="store_true", help="print only the release tag when all agree")
    parser.add_argument("--between-releases", action="store_true",
                        help="this commit is not being released: Unreleased may hold entries (the default is to "
                             "treat an untagged version as the release about to be made)")
    args = parser.parse_args(argv)
    try:
        ref, problems = check(args.root, releasing=False if args.between_releases else None)
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
