"""Execute the workbook's notebooks in order with papermill: ``python -m course_tools.runner``.

Each notebook runs with its ``parameters`` cell set to the chosen profile, writes an
executed copy into the output directory, and the run stops at the first failure with a
message naming the notebook and the cell.

``--edition es`` runs the Spanish notebooks (``notebooks/es/``) into the **same** output folder
as the English ones (``notebooks/outputs/<profile>``), so a model either edition trained with the
same settings is loaded, not trained again (``course_utils.reuse``); their executed copies go to
``<output>/executed/es/``. With ``--refresh-committed`` they are written back into ``notebooks/es/``.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path
from collections.abc import Sequence

from course_utils import config

os.environ.setdefault("JUPYTER_PREFER_ENV_PATH", "1")  # this environment's kernel, not a user-wide one
from course_utils.progress import ENV_PROGRESS
from . import layout
from .layout import discover  # re-exported: ``runner.discover`` is where it used to live


def __getattr__(name: str) -> Path:
    """``NOTEBOOK_DIR``, kept here for the code that imports it from its old place (see ``layout``)."""
    if name == "NOTEBOOK_DIR":
        return layout.notebook_dir()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


class NotebookFailed(RuntimeError):
    """A notebook raised; the message names the notebook and the cell."""


def _relative(path: Path, start: Path) -> str:
    return os.path.relpath(path.resolve(), start.resolve())


def execute_notebook(notebook: Path, output_dir: Path, *, profile: str, seed: int | None = None,
                     kernel_name: str = "python3", timeout: int | None = None,
                     extra_parameters: dict | None = None, keep_default_output: bool = False,
                     edition: str = "en") -> Path:
    """Run one notebook with papermill into ``output_dir/executed`` (``executed/<edition>`` for a
    translation, which also gets its ``edition`` parameter); return the executed copy.

    Raises
    ------
    NotebookFailed
        Naming the notebook, the failing cell and the exception.
    """
    import papermill as pm
    from papermill.exceptions import PapermillExecutionError

    executed = output_dir / "executed" / (notebook.name if edition == "en" else Path(edition, notebook.name))
    executed.parent.mkdir(parents=True, exist_ok=True)
    # Paths handed to the kernel are relative to the notebook's folder, so no machine path
    # ends up in an executed (or committed) notebook.
    parameters = {"profile": profile, "seed": seed, **({} if edition == "en" else {"edition": edition}),
                  **(extra_parameters or {})}
    if not keep_default_output:
        parameters["output_dir"] = _relative(output_dir, notebook.parent)
    env_before = os.environ.get(ENV_PROGRESS)
    os.environ[ENV_PROGRESS] = "0"  # no progress-bar spam in stored outputs
    try:
        pm.execute_notebook(str(notebook), str(executed), parameters=parameters,
                            kernel_name=kernel_name, cwd=str(notebook.parent), progress_bar=False,
                            execution_timeout=timeout, log_output=False,
                            # the kernel's own log (start-up warnings, "KeyboardInterrupt caught in
                            # kernel" at shutdown) would break the progress lines; errors inside the
                            # notebook still reach its outputs and NotebookFailed
                            extra_arguments=["--IPKernelApp.log_level=CRITICAL"])
    except PapermillExecutionError as exc:
        raise NotebookFailed(
            f"{notebook.name} failed in cell {exc.exec_count or exc.cell_index} "
            f"(cell index {exc.cell_index}): {exc.ename}: {exc.evalue}\n"
            f"The executed copy with the traceback is {executed}."
        ) from exc
    finally:
        if env_before is None:
            os.environ.pop(ENV_PROGRESS, None)
        else:
            os.environ[ENV_PROGRESS] = env_before
    return executed


def refresh_committed(profile: str = "full", *, only: Sequence[str] = (),
                      notebook_dir: str | os.PathLike | None = None, edition: str = "en",
                      stream=sys.stdout) -> dict[str, float]:
    """Execute notebooks with their *default* parameters and write them back, cleaned.

    This produces the committed outputs students see on GitHub and Colab (outputs go to
    ``notebooks/outputs/<profile>``, which git ignores).
    """
    import nbformat

    from .nbclean import write_clean

    timings: dict[str, float] = {}
    notebook_dir = Path(notebook_dir) if notebook_dir is not None else edition_dir(edition)
    notebooks = discover(notebook_dir, only)
    for i, nb in enumerate(notebooks, 1):
        print(f"[{i}/{len(notebooks)}] {nb.stem} ({profile}, in place) ...", end=" ", flush=True, file=stream)
        start = time.perf_counter()
        # A translated notebook's default output folder is the English one (notebook.start).
        scratch = (notebook_dir if edition == "en" else notebook_dir.parent) / "outputs" / profile
        scratch.mkdir(parents=True, exist_ok=True)
        executed = execute_notebook(nb, scratch, profile=profile, keep_default_output=True, edition=edition)
        write_clean(nbformat.read(executed, 4), nb)
        timings[nb.stem] = time.perf_counter() - start
        print(f"ok ({timings[nb.stem]:.0f} s)", file=stream, flush=True)
    return timings


def edition_dir(edition: str = "en") -> Path:
    """The notebooks of an edition: ``notebooks/`` (English, the source) or ``notebooks/<edition>``."""
    from course_utils.i18n import EDITIONS

    if edition not in EDITIONS:
        raise ValueError(f"edition must be one of {sorted(EDITIONS)}, got {edition!r}.")
    return layout.notebook_dir() if edition == "en" else layout.notebook_dir() / edition


def default_output_dir(profile: str) -> Path:
    """Where ``make smoke``/``make all`` write: the folder a notebook opened by hand writes to."""
    return layout.notebook_dir() / "outputs" / profile


def write_times(timings: dict[str, float], path: str | os.PathLike, *, profile: str) -> Path:
    """Write a per-notebook time table (Markdown) with the machine and backend, atomically."""
    import platform

    import keras

    from course_utils.fileio import write_text_atomic

    lines = [f"# Notebook times: {profile} profile, Keras {keras.__version__}, backend "
             f"{os.environ.get('KERAS_BACKEND', 'tensorflow')}, {platform.node() or 'this machine'}, "
             f"{os.cpu_count()} CPU cores", "", "| notebook | seconds |", "| --- | ---: |"]
    lines += [f"| {name} | {seconds:.0f} |" for name, seconds in timings.items()]
    lines += [f"| **total** | **{sum(timings.values()):.0f}** |", ""]
    return write_text_atomic(path, "\n".join(lines))


def run_all(profile: str, output_dir: str | os.PathLike | None = None, *, only: Sequence[str] = (),
            notebook_dir: str | os.PathLike | None = None, seed: int | None = None, edition: str = "en",
            stream=sys.stdout) -> dict[str, float]:
    """Execute the notebooks in order; return seconds per notebook. Stops at the first failure.

    Every edition writes into the same output folder (default ``notebooks/outputs/<profile>``).
    """
    config.get_profile(profile)  # fail fast on an unknown profile
    notebook_dir = Path(notebook_dir) if notebook_dir is not None else edition_dir(edition)
    out = config.output_dir(output_dir or default_output_dir(profile))
    notebooks = discover(notebook_dir, only)
    if not notebooks:
        raise ValueError(f"No notebooks found in {notebook_dir}.")
    timings: dict[str, float] = {}
    total = time.perf_counter()
    for i, nb in enumerate(notebooks, 1):
        print(f"[{i}/{len(notebooks)}] {nb.stem} ({profile}) ...", end=" ", flush=True, file=stream)
        start = time.perf_counter()
        try:
            execute_notebook(nb, out, profile=profile, seed=seed, edition=edition)
        except NotebookFailed:
            print("FAILED", file=stream, flush=True)
            raise
        timings[nb.stem] = time.perf_counter() - start
        print(f"ok ({timings[nb.stem]:.0f} s)", file=stream, flush=True)
    print(f"All {len(notebooks)} notebooks ran in {time.perf_counter() - total:.0f} s; "
          f"outputs in {out}", file=stream, flush=True)
    return timings


def main(argv: Sequence[str] | None = None) -> int:
    """Command line: ``python -m course_tools.runner --profile smoke [--only 01 03]``."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default=os.environ.get(config.ENV_PROFILE, "smoke"),
                        choices=sorted(config.PROFILES))
    parser.add_argument("--output-dir", default=None, help="default: notebooks/outputs/<profile>")
    parser.add_argument("--times", default=None, help="also write a per-notebook time table (Markdown) here")
    parser.add_argument("--only", nargs="*", default=(), help="notebook prefixes, e.g. 01 03")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--edition", default="en", choices=["en", "es"],
                        help="en: the English notebooks; es: notebooks/es (same output folder)")
    parser.add_argument("--refresh-committed", action="store_true",
                        help="execute with default parameters and write the notebooks back, cleaned")
    args = parser.parse_args(argv)
    try:
        if args.refresh_committed:
            timings = refresh_committed(args.profile, only=args.only, edition=args.edition)
        else:
            timings = run_all(args.profile, args.output_dir, only=args.only, seed=args.seed, edition=args.edition)
        if args.times:  # the committed run is timed too (make outputs is make all plus write-back)
            print(f"times: {write_times(timings, args.times, profile=args.profile)}")
    except (NotebookFailed, ValueError) as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
