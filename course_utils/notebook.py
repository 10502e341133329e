"""What every notebook does first: the Colab-ready setup cell and the session start."""
from __future__ import annotations

import os
import platform
from dataclasses import dataclass
from pathlib import Path

from . import config

#: The first code cell of every notebook, verbatim (tests/test_notebook_hygiene.py checks).
#: In Colab it installs this package from the repository; elsewhere it does nothing.
SETUP_CELL = f'''# Setup: run this cell first. In Colab it installs the course package; locally `make setup` did.
import importlib.util, subprocess, sys
REPO_URL = "{config.REPO_URL}"
if importlib.util.find_spec("course_utils") is None:
    if "google.colab" not in sys.modules:
        raise ModuleNotFoundError("course_utils is not installed: run `make setup` in the repository, "
                                  "then open this notebook with the 'Python (rnn-imdb)' kernel.")
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", f"git+{{REPO_URL}}"], check=True)'''

#: The papermill parameters cell (tagged ``parameters``) every notebook carries.
PARAMETERS_CELL = '''# Parameters (papermill overrides these; see `make smoke` / `make all`)
profile = "full"    # "smoke": a small subset, one epoch; "full": the real course run
output_dir = None   # None: outputs/<profile> beside this notebook
seed = None         # None: the profile's seed'''


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

    prof = config.get_profile(profile, seed=seed)
    out = config.output_dir(output_dir, prof)
    plots.use_course_style()
    _quiet_backend()
    seed_everything(prof.seed)
    return Session(prof, out)


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
