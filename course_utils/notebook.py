"""What every notebook does first (``start``) and how it shows what a run computed: prose
(``say``) and tables of a trained model's output (``show_model_output``).

The cells every notebook begins with live in ``course_tools.cells``."""
from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from . import config

if TYPE_CHECKING:
    import pandas as pd

@dataclass(frozen=True)
class Session:
    """A notebook's run settings: the profile and where outputs go."""

    profile: config.Profile
    output_dir: Path

    def __repr__(self) -> str:
        from .i18n import _, fmt_int
        p = self.profile
        test = _("all") if p.test_size is None else fmt_int(p.test_size)
        size = _("all") if p.train_size is None else f"{fmt_int(p.train_size)}/{test}"
        return _("Session(profile={profile}, train/test reviews={size}, vocab={vocab}, maxlen={maxlen}, "
                 "epochs<={epochs}, seed={seed}, output_dir={output_dir})").format(
            profile=repr(p.name), size=size, vocab=fmt_int(p.vocab_size), maxlen=p.maxlen, epochs=p.epochs,
            seed=p.seed, output_dir=repr(self.output_dir.as_posix()))


def start(profile: str | None = None, output_dir: str | os.PathLike | None = None,
          seed: int | None = None, edition: str | None = None) -> Session:
    """Resolve the profile and output folder, choose the edition, set the plot style, and seed
    everything.

    The edition is ``edition`` if given, else the notebook's own ``edition`` variable (the
    parameters cell of a translated notebook sets ``edition = "es"``, and papermill may override
    it), else ``$COURSE_EDITION``, else English. A translated edition also shows DataFrames and
    Series in its language (``localize.register_display``); English registers nothing. A
    translated notebook run from ``notebooks/<edition>/`` with no output folder chosen writes to
    ``../outputs/<profile>``, the English notebooks' folder, so both editions share models.

    Parameters
    ----------
    profile : str, optional
        ``"smoke"`` or ``"full"`` (default: ``$COURSE_PROFILE``, else ``"full"``).
    output_dir : path, optional
        Where outputs go (default: ``outputs/<profile>`` beside the notebooks).
    seed : int, optional
        Overrides the profile's seed.
    edition : str, optional
        ``"en"`` or ``"es"``.

    Returns
    -------
    Session
        The profile and output folder.
    """
    from . import i18n, localize, plots
    from .training import seed_everything

    from .narrative import smoke_notice

    chosen = i18n.set_edition(edition if edition is not None else notebook_edition())
    localize.register_display()
    prof = config.get_profile(profile, seed=seed)
    if output_dir is None and not os.environ.get(config.ENV_OUTPUT_DIR) and chosen != i18n.DEFAULT_EDITION \
            and Path.cwd().name == chosen:
        # notebooks/es/NN.ipynb opened by hand: share notebooks/outputs/<profile> with the English
        # notebooks, so that a model trained in either edition is reused by the other.
        output_dir = Path("..") / "outputs" / prof.name
    out = config.output_dir(output_dir, prof)
    plots.use_course_style()
    _quiet_backend()
    seed_everything(prof.seed)
    say(smoke_notice(prof))
    return Session(prof, out)


def notebook_edition() -> str | None:
    """The running notebook's ``edition`` variable (a translated notebook's parameter), if any.

    Read from the IPython namespace the notebook's cells run in, so that ``start`` needs no
    argument: the code cells stay the same in every edition. None outside IPython, or when the
    notebook has no such variable (the English notebooks) or it is not a string.
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with every notebook environment
        return None
    shell = get_ipython()
    value = None if shell is None else shell.user_ns.get("edition")
    return value if isinstance(value, str) else None


#: Starts every computed sentence's Markdown (invisible when rendered), so that `make validate`
#: can leave prose whose numbers legitimately vary between machines to the metric checks.
COMPUTED_MARK = "<!-- computed -->\n"


#: Starts the first line of a model-output table (an HTML comment, invisible when rendered).
MODEL_OUTPUT_MARK = "model output: "


def say(markdown: str) -> None:
    """Show a computed sentence as Markdown in a notebook (plain text elsewhere); "" shows nothing.

    Parameters
    ----------
    markdown : str
        The sentence (Markdown).
    """
    if not markdown:
        return
    if _in_notebook():
        from IPython.display import Markdown, display
        display(Markdown(COMPUTED_MARK + markdown))
    else:
        print(markdown)


def show_model_output(table: pd.DataFrame, *, rows_vary: bool = False) -> None:
    """Show a table whose values a trained model decided: its predictions, its errors, a ranking.

    Those values differ between machines and Keras backends (the same seed trains other weights
    on a GPU), so the table starts with one line, invisible in the rendered notebook, that states
    its shape and columns: ``make validate`` compares that line exactly and leaves the values to
    the metric checks (``tests/nbval_sanitize.cfg``). ``rows_vary=True`` leaves the row count out
    too, for tables whose length the model decides (e.g. the checks a model fails).

    Parameters
    ----------
    table : pandas.DataFrame
        The table to show.
    rows_vary : bool, default False
        Leave the row count out of the first line.
    """
    bundle = model_output_bundle(table, rows_vary=rows_vary)
    if _in_notebook():
        from IPython.display import display
        display(bundle, raw=True)
    else:
        print(bundle["text/plain"])


def model_output_bundle(table: pd.DataFrame, *, rows_vary: bool = False) -> dict[str, str]:
    """The HTML and plain-text forms ``show_model_output`` displays, each led by the shape line.

    The shape line keeps the English column names (``make validate`` reads it); in a translated
    edition the table itself is its display copy (``localize.localized_frame``).
    """
    from .localize import localized_frame

    rows = "rows vary" if rows_vary else f"{len(table)} rows"
    shape = f"{MODEL_OUTPUT_MARK}{rows}; columns: {', '.join(str(c) for c in table.columns)}"
    comment = shape.replace("--", "- -")  # an HTML comment cannot hold "--"
    shown = localized_frame(table)
    return {"text/html": f"<!-- {comment} -->\n{shown._repr_html_()}", "text/plain": f"{shape}\n{shown!r}"}


def _in_notebook() -> bool:
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - IPython ships with every notebook environment
        return False
    return get_ipython() is not None


def _quiet_backend() -> None:
    """Keep TensorFlow's Python-side chatter (e.g. retracing notices) out of notebook outputs."""
    import keras

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf
        tf.get_logger().setLevel("ERROR")


def environment_summary() -> str:
    """One line with the versions that decide the numbers (Python, Keras, backend).

    Returns
    -------
    str
        The line.
    """
    import keras
    return (f"Python {platform.python_version()} | Keras {keras.__version__} | "
            f"backend {keras.backend.backend()} | {os.cpu_count()} CPU cores")


def show_source(obj) -> None:
    """Show the source code of a course function or class in the notebook (d2l's rule: the code a
    later notebook calls is shown first).

    Parameters
    ----------
    obj : function or class
        What to show, e.g. ``training.fit_model``.
    """
    import inspect

    from IPython.display import Markdown, display

    display(Markdown(f"```python\n{inspect.getsource(obj).rstrip()}\n```"))
