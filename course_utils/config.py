"""Configuration in one place: run profiles, environment variables and project constants.

A notebook asks for a profile by name (``get_profile("smoke")``) and never defines
its own constants, so the numbers that decide a run live here and nowhere else.
"""
from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path

#: The repository students open in Colab; the setup cell and the Colab badges read it from here.
REPO_URL = "https://github.com/rnn-imdb-workbook/rnn-imdb-workbook"
#: The known-good release that Colab installs and the badges open: the git tag of this version
#: (``v`` + pyproject's version; tests/test_project.py checks). Tag it when you publish.
COURSE_REF = "v0.3.0"
#: What a fresh Colab runtime fetches (MB, the package's rounded), for the setup cell's message.
DOWNLOAD_SIZES_MB = {"course package with GloVe vectors": 70, "IMDB reviews": 84}

#: Environment variables the package reads (documented in README.md).
ENV_DATA_DIR = "IMDB_DATA_DIR"
ENV_CACHE_DIR = "COURSE_UTILS_CACHE"
ENV_PROFILE = "COURSE_PROFILE"
ENV_OUTPUT_DIR = "COURSE_OUTPUT_DIR"
ENV_GLOVE_PATH = "GLOVE_PATH"
ENV_IMDB_URL = "IMDB_URL"
ENV_RETRAIN = "COURSE_RETRAIN"  # 1: notebooks train even where a stored model matches (course_utils.reuse)

#: The official archive of the Large Movie Review Dataset v1.0 (Maas et al., 2011);
#: ``$IMDB_URL`` points at a mirror instead (the checksum stays the same).
IMDB_URL = "https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz"
IMDB_SHA256 = "c40f74a18d3b61f90feba1e17730e0d38e8b97c05fde7008942e91923d1658fe"
IMDB_ARCHIVE_NAME = "aclImdb_v1.tar.gz"


@dataclass(frozen=True)
class Profile:
    """Every number that decides how big and how long a run is.

    Attributes
    ----------
    name : str
        ``"smoke"`` (CI, minutes) or ``"full"`` (the real course run).
    train_size, test_size : int or None
        Reviews drawn (stratified, seeded) from each split; ``None`` keeps all 25,000.
    vocab_size : int
        Vocabulary size including the padding (0) and out-of-vocabulary (1) indices.
    maxlen : int
        Tokens kept per review after padding/truncation. The full profile's reads 93 % of the
        training reviews whole (notebook 02 computes it); recurrent models train on length
        buckets (``course_utils.batching``), so shorter reviews do not pay for the longest.
    embedding_dim : int
        Width of learned embeddings.
    epochs : int
        Maximum training epochs of every recurrent model (early stopping may end sooner); notebook
        07's stacked BiGRU, twice the work per epoch, gets half as many. The full profile's 6: the
        BiGRU's validation loss is lowest by epoch 6 with seeds 42, 1 and 2 (epochs 6, 6 and 5), so
        the two more epochs it was once given cost 100 s of ``make all`` and changed no weight it
        kept (the same test accuracy for all three seeds).
    batch_size : int
        Mini-batch size.
    validation_fraction : float
        Share of the training split held out for validation.
    seed : int
        Seed for sampling, weight initialisation and shuffling.
    rnn_units : int
        Width of recurrent layers.
    dropout : float
        Dropout used by the recurrent models (cuDNN-safe: between layers, not recurrent).
    rnn_head : str
        ``"pool"`` (max and mean over time steps) or ``"last"`` (final state), see ``models``.
    learning_rate : float
        Adam's learning rate for the recurrent models. The full profile's batches of 128 take half
        the steps of batches of 64 per epoch, so it doubles the rate to learn as much per epoch.
    drop_unknown : bool
        Leave out-of-vocabulary words out of model inputs (see ``text.encode_dataset``).
    embeddings : str
        How ``pipeline.embedding_init`` starts an embedding: ``"glove"`` (pretrained vectors,
        fine-tuned; notebook 08 shows why) or ``"learned"`` (random, from scratch).
    dense_units, dense_dropout, dense_learning_rate, dense_epochs : int, float, float, int
        The Dense baseline of notebook 03: its hidden layer, dropout, Adam's learning rate and
        maximum epochs (a cheap model, so it gets a few more than the recurrent ones).
    """

    name: str
    train_size: int | None
    test_size: int | None
    vocab_size: int
    maxlen: int
    embedding_dim: int
    epochs: int
    batch_size: int
    validation_fraction: float = 0.2
    seed: int = 42
    rnn_units: int = 64
    dropout: float = 0.4
    rnn_head: str = "pool"
    learning_rate: float = 1e-3
    drop_unknown: bool = True
    embeddings: str = "glove"
    dense_units: int = 32
    dense_dropout: float = 0.3
    dense_learning_rate: float = 1e-3
    dense_epochs: int = 8
    extra: dict = field(default_factory=dict, compare=False)

    def rnn_kwargs(self, **overrides) -> dict:
        """Keyword arguments for ``models.build_recurrent`` and friends from this profile."""
        kwargs = dict(units=self.rnn_units, embedding_dim=self.embedding_dim, dropout=self.dropout,
                      head=self.rnn_head, learning_rate=self.learning_rate)
        kwargs.update(overrides)
        return kwargs

    @property
    def max_epochs(self) -> int:
        """The most epochs any notebook trains a model for in this profile."""
        return max(self.epochs, self.dense_epochs)

    def replace(self, **changes) -> Profile:
        """Return a copy with some fields changed, e.g. ``profile.replace(epochs=1)``."""
        return dataclasses.replace(self, **changes)


PROFILES: dict[str, Profile] = {
    "smoke": Profile(
        name="smoke", train_size=2000, test_size=1000, vocab_size=5000, maxlen=128,
        embedding_dim=32, epochs=1, batch_size=64, rnn_units=16, dense_epochs=3,
    ),
    "full": Profile(
        name="full", train_size=None, test_size=None, vocab_size=20000, maxlen=512,
        embedding_dim=64, epochs=6, batch_size=128, rnn_units=64, learning_rate=2e-3,
        # From GloVe's start the Dense needs a larger step than 1e-3 (validation accuracy 0.831
        # after 8 epochs, still climbing), but 1e-2 is unstable: with seed 1 every ReLU died in the
        # first epoch and it stayed at chance (test 0.500; seeds 2 and 42: 0.877, 0.872). At 3e-3
        # all three seeds learn: test 0.883, 0.877, 0.865 (benchmarks/cpu-2core-tensorflow/dense-learning-rate.md).
        dense_epochs=8, dense_learning_rate=3e-3,
    ),
}


def get_profile(name: str | None = None, **overrides) -> Profile:
    """Return the named profile, or the one in ``$COURSE_PROFILE``, else ``"full"``.

    Parameters
    ----------
    name : str, optional
        ``"smoke"`` or ``"full"``.
    **overrides
        Fields to change, e.g. ``seed=7`` (a notebook's papermill parameter).

    Raises
    ------
    ValueError
        If the name is not a known profile.
    """
    name = name or os.environ.get(ENV_PROFILE) or "full"
    if name not in PROFILES:
        raise ValueError(
            f"Unknown profile {name!r}. Choose one of {sorted(PROFILES)} "
            f"(or set ${ENV_PROFILE})."
        )
    profile = PROFILES[name]
    overrides = {k: v for k, v in overrides.items() if v is not None}
    return profile.replace(**overrides) if overrides else profile


def cache_dir() -> Path:
    """Directory for downloaded archives and parsed caches.

    ``$COURSE_UTILS_CACHE`` if set, else ``$XDG_CACHE_HOME/course_utils``, else
    ``~/.cache/course_utils``.
    """
    if os.environ.get(ENV_CACHE_DIR):
        return Path(os.environ[ENV_CACHE_DIR]).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base).expanduser() / "course_utils"


def imdb_url() -> str:
    """The dataset's download URL: ``$IMDB_URL`` (a mirror) if set, else the official one."""
    return os.environ.get(ENV_IMDB_URL) or IMDB_URL


def output_dir(path: str | os.PathLike | None = None, profile: Profile | str | None = None) -> Path:
    """Where a notebook writes figures and metrics records; created if missing.

    ``path`` if given, else ``$COURSE_OUTPUT_DIR``, else ``outputs/<profile>`` in the
    working directory: ``notebooks/outputs/<profile>`` for a notebook opened in Jupyter, which
    is also where ``make all`` and ``make smoke`` write, so every way of running sees one folder.
    """
    if path is None:
        path = os.environ.get(ENV_OUTPUT_DIR)
    if path is None:
        name = profile.name if isinstance(profile, Profile) else (profile or get_profile().name)
        path = Path("outputs") / name
    out = Path(path).expanduser()
    out.mkdir(parents=True, exist_ok=True)
    return out
