"""What every notebook does first (``start``) and how it shows computed prose (``say``).

The cells every notebook begins with live in ``course_utils.workbook.cells``."""
from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from pathlib import Path

from . import config

@dataclass(frozen=True)
class Session:
    """A notebook's run settings: the profile and where outputs go."""

    profile: config.Profile
    output_dir: Path

    def __repr__(self) -> str:
        p = self.profile
        size = "all" if p.train_size is None else f"{p.train_size:,}/{p.test_size:,}"
        return (f"Session(profile={p.name!r}, train/test reviews={size}, vocab={p.vocab_size:,}, "
                f"maxlen={p.maxlen}, epochs<={p.epochs}, seed={p.seed}, output_dir='{self.output_dir.as_posix()}')")


def start(profile: str | None = None, output_dir: str | os.PathLike | None = None,
          seed: int | None = None) -> Session:
    """Resolve the profile and output folder, set the plot style, and seed everything."""
    from . import plots
    from .training import seed_everything

    from .narrative import smoke_notice

    prof = config.get_profile(profile, seed=seed)
    out = config.output_dir(output_dir, prof)
    plots.use_course_style()
    _quiet_backend()
    seed_everything(prof.seed)
    say(smoke_notice(prof))
    return Session(prof, out)


#: Starts every computed sentence's Markdown (invisible when rendered), so that `make validate`
#: can leave prose whose numbers legitimately vary between machines to the metric checks.
COMPUTED_MARK = "<!-- computed -->\n"


def say(markdown: str) -> None:
    """Show a computed sentence as Markdown in a notebook (plain text elsewhere); "" shows nothing."""
    if not markdown:
        return
    try:
        from IPython import get_ipython
        from IPython.display import Markdown, display
    except ImportError:  # pragma: no cover - IPython ships with every notebook environment
        print(markdown)
        return
    if get_ipython() is None:
        print(markdown)
    else:
        display(Markdown(COMPUTED_MARK + markdown))


def _quiet_backend() -> None:
    """Keep TensorFlow's Python-side chatter (e.g. retracing notices) out of notebook outputs."""
    import keras

    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf
        tf.get_logger().setLevel("ERROR")


def environment_summary() -> str:
    """One line with the versions that decide the numbers (Python, Keras, backend)."""
    import keras
    return (f"Python {platform.python_version()} | Keras {keras.__version__} | "
            f"backend {keras.backend.backend()} | {os.cpu_count()} CPU cores")
