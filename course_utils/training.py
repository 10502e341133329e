"""One seeded, reproducible way to train every model of the workbook."""
from __future__ import annotations

import contextlib
import importlib
import json
import os
import shutil
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Sequence

import keras
import numpy as np
from sklearn.model_selection import train_test_split

from .batching import LengthBuckets, accepts_any_length, review_lengths
from .fileio import atomic_path, write_json_atomic
from .i18n import _, fmt_int, fmt_number


def seed_everything(seed: int) -> None:
    """Seed Python, NumPy and the Keras backend; on TensorFlow also ask for deterministic ops.

    Same seed, backend and hardware (CPU) -> the same weights and metrics, run after run.
    """
    keras.utils.set_random_seed(int(seed))
    if keras.backend.backend() == "tensorflow":  # TensorFlow-only switch, behind a check
        import tensorflow as tf
        tf.config.experimental.enable_op_determinism()


#: Keras's adapters that wrap NumPy arrays and ``PyDataset`` objects in ``tf.data`` pipelines.
_TF_INPUT_ADAPTERS = (("keras.src.trainers.data_adapters.array_data_adapter", "ArrayDataAdapter"),
                      ("keras.src.trainers.data_adapters.py_dataset_adapter", "PyDatasetAdapter"))


def _tf_input_adapters() -> list:
    """The adapter classes of :data:`_TF_INPUT_ADAPTERS` this Keras has (one that moved is skipped:
    Keras then feeds as it does by default)."""
    adapters = []
    for module, name in _TF_INPUT_ADAPTERS:
        try:
            adapters.append(getattr(importlib.import_module(module), name))
        except (ImportError, AttributeError):
            pass
    return adapters


@contextlib.contextmanager
def steady_tf_input():
    """Within this block, Keras feeds NumPy arrays and ``PyDataset`` objects (the length buckets)
    through ``tf.data`` with autotuning off.

    On the TensorFlow backend Keras wraps both kinds of input in an autotuned ``tf.data`` pipeline
    and starts a fresh iterator every epoch. Destroying an autotuned iterator waits for tf.data's
    tuning thread to wake up, which on TF 2.20-2.21 (2-core CPU) stalled training for up to about
    40 s at the end of ``fit``, ``predict`` and some epochs. With autotuning off the batches and
    their order are the same (same weights, bit for bit) and the stalls are gone. Other
    backends do not use tf.data: there, and on a Keras without these adapters, a no-op.
    """
    if keras.backend.backend() != "tensorflow":
        yield
        return
    import tensorflow as tf
    patched = []
    for adapter in _tf_input_adapters():
        if getattr(adapter.get_tf_dataset, "_steady", False):  # already on (nested blocks)
            continue
        original = adapter.get_tf_dataset

        def get_tf_dataset(self, _original=original):
            options = tf.data.Options()
            options.autotune.enabled = False
            return _original(self).with_options(options)

        get_tf_dataset._steady = True
        adapter.get_tf_dataset = get_tf_dataset
        patched.append((adapter, original))
    try:
        yield
    finally:
        for adapter, original in patched:
            adapter.get_tf_dataset = original


def validation_split(x: np.ndarray, y: np.ndarray, fraction: float, seed: int):
    """Stratified, seeded hold-out carved from the training data: ``x_tr, x_val, y_tr, y_val``.

    (Keras's own ``validation_split`` takes the *last* rows, which in IMDB are all one class.)

    Parameters
    ----------
    x, y : numpy.ndarray
        The training inputs and labels.
    fraction : float
        The share held out, strictly between 0 and 1.
    seed : int
        Seed of the split.

    Returns
    -------
    tuple of numpy.ndarray
        ``(x_tr, x_val, y_tr, y_val)``.

    Raises
    ------
    ValueError
        If ``fraction`` is not in (0, 1).
    """
    if not 0.0 < fraction < 1.0:
        raise ValueError(f"validation fraction must be in (0, 1), got {fraction!r}.")
    return train_test_split(x, y, test_size=fraction, random_state=seed, stratify=y)


class EpochLog(keras.callbacks.Callback):
    """Times each epoch and prints one short line per epoch (no progress-bar spam)."""

    def __init__(self, verbose: bool = True) -> None:
        super().__init__()
        self.verbose = verbose
        self.seconds: list[float] = []
        self._start = time.perf_counter()  # replaced at each epoch's start

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._start)
        if self.verbose:
            logs = logs or {}
            parts = [f"{k}={fmt_number(v, 4)}" for k, v in logs.items()
                     if k in ("loss", "accuracy", "val_loss", "val_accuracy")]
            print(_("epoch {epoch}  {seconds}s  {metrics}").format(
                epoch=f"{epoch + 1:>2}", seconds=f"{fmt_number(self.seconds[-1], 1):>5}", metrics="  ".join(parts)),
                flush=True)


class ResumeState(keras.callbacks.Callback):
    """Keeps what Keras's ``BackupAndRestore`` does not: the course callbacks' state.

    ``BackupAndRestore`` restores the weights, the optimizer and the epoch after an interruption;
    this callback restores the history so far, the epoch times, early stopping's best weights and
    patience, and the learning-rate schedule's patience, so a resumed ``fit`` stops, keeps and
    reports as the uninterrupted one would. Place it *after* those callbacks: their
    ``on_train_begin`` resets them, and this one then restores them.
    """

    def __init__(self, folder: str | os.PathLike, log: "EpochLog",
                 early: keras.callbacks.EarlyStopping, reduce: keras.callbacks.ReduceLROnPlateau) -> None:
        super().__init__()
        self.folder = Path(folder)
        self.log, self.early, self.reduce = log, early, reduce
        self.history: dict[str, list[float]] = {}
        self.resumed_after = 0

    @property
    def _state_path(self) -> Path:
        return self.folder / "course_state.json"

    @property
    def _best_path(self) -> Path:
        return self.folder / "best_weights.npz"

    def on_train_begin(self, logs=None):
        if not self._state_path.is_file():
            return
        state = json.loads(self._state_path.read_text(encoding="utf-8"))
        self.history = {k: list(v) for k, v in state["history"].items()}
        self.log.seconds[:] = state["epoch_seconds"]
        self.resumed_after = len(state["epoch_seconds"])
        for callback, saved in ((self.early, state["early"]), (self.reduce, state["reduce"])):
            for name, value in saved.items():
                setattr(callback, name, value)
        if self._best_path.is_file():
            with np.load(self._best_path) as data:
                self.early.best_weights = [data[f"w{i}"] for i in range(len(data.files))]
        self.model.optimizer.learning_rate = state["learning_rate"]
        if self.log.verbose:
            print(_("resuming after epoch {epoch} (an earlier run was interrupted)").format(
                epoch=fmt_int(self.resumed_after)), flush=True)

    def on_epoch_end(self, epoch, logs=None):
        for k, v in (logs or {}).items():
            self.history.setdefault(k, []).append(float(v))
        state = {"history": self.history, "epoch_seconds": list(self.log.seconds),
                 "early": {"wait": int(self.early.wait), "best": float(self.early.best),
                           "best_epoch": int(self.early.best_epoch)},
                 "reduce": {"wait": int(self.reduce.wait), "best": float(self.reduce.best),
                            "cooldown_counter": int(self.reduce.cooldown_counter)},
                 "learning_rate": float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))}
        if self.early.best_weights is not None and self.early.best_epoch == epoch:
            with atomic_path(self._best_path) as tmp:
                with open(tmp, "wb") as handle:
                    np.savez(handle, **{f"w{i}": w for i, w in enumerate(self.early.best_weights)})
        write_json_atomic(self._state_path, state)


@dataclass
class TrainingResult:
    """What :func:`fit_model` did: the per-epoch history, timings and the epoch kept."""

    history: dict[str, list[float]]
    epoch_seconds: list[float]
    best_epoch: int
    validation_size: int
    extra: dict = field(default_factory=dict)

    @property
    def epochs(self) -> int:
        """Epochs actually run."""
        return len(self.epoch_seconds)

    @property
    def train_seconds(self) -> float:
        """Total seconds spent in training epochs."""
        return float(sum(self.epoch_seconds))

    def save(self, path: str | os.PathLike) -> Path:
        """Write the history as JSON (atomically)."""
        return write_json_atomic(path, asdict(self))

    @classmethod
    def load(cls, path: str | os.PathLike) -> "TrainingResult":
        """Read a history written by :meth:`save`."""
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        try:
            return cls(history=data["history"], epoch_seconds=data["epoch_seconds"],
                       best_epoch=int(data["best_epoch"]), validation_size=int(data["validation_size"]),
                       extra=data.get("extra", {}))
        except (KeyError, TypeError) as exc:
            raise ValueError(f"{path} is not a training history written by TrainingResult.save: {exc!r}") from exc


def course_callbacks(*, patience: int = 2, reduce_lr_patience: int = 1,
                     min_delta: float = 1e-3) -> list[keras.callbacks.Callback]:
    """The two Keras callbacks every model of the course trains with (notebook 03 writes them out).

    Parameters
    ----------
    patience : int
        Epochs without an improvement of the validation loss (by more than ``min_delta``) before
        training stops; the best epoch's weights are restored.
    reduce_lr_patience : int
        Epochs without improvement before the learning rate halves (down to ``1e-5``).
    min_delta : float
        The smallest drop of the validation loss that counts as an improvement.

    Returns
    -------
    list of keras.callbacks.Callback
        ``[EarlyStopping, ReduceLROnPlateau]``, both watching ``val_loss``.
    """
    return [keras.callbacks.EarlyStopping(monitor="val_loss", patience=patience, min_delta=min_delta,
                                          restore_best_weights=True),
            keras.callbacks.ReduceLROnPlateau(monitor="val_loss", factor=0.5, patience=reduce_lr_patience,
                                              min_lr=1e-5)]


def fit_model(model: keras.Model, x: np.ndarray, y: np.ndarray, *, epochs: int, batch_size: int,
              seed: int, validation_fraction: float = 0.2, patience: int = 2,
              reduce_lr_patience: int = 1, min_delta: float = 1e-3,
              history_path: str | os.PathLike | None = None, verbose: bool = True,
              callbacks: Sequence[keras.callbacks.Callback] = (),
              backup_dir: str | os.PathLike | None = None) -> TrainingResult:
    """Train on a seeded, stratified split of the *training* data (the test set stays unseen).

    The steps of notebook 03's training cells in one call: :func:`validation_split`,
    :func:`course_callbacks` and :class:`EpochLog`, then ``model.fit``; plus length buckets for a
    recurrent model, resuming after an interruption (``backup_dir``) and the history saved.

    Early stopping watches validation loss and restores the best weights; the learning rate
    halves when validation loss stalls. ``best_epoch`` is the epoch whose weights early stopping
    kept (an improvement counts only above ``min_delta``, so it need not be the lowest loss).
    The history (with per-epoch seconds) is saved to ``history_path`` if given; ``callbacks``
    are added to the course's own. With ``backup_dir``, every finished epoch is backed up there
    (Keras's ``BackupAndRestore`` plus :class:`ResumeState`): a run interrupted (a kernel that
    died, a Colab runtime that disconnected) resumes from its last finished epoch when called
    again with the same folder, which is removed once training ends. The resumed run shuffles
    the remaining epochs from the seed again, so it is not bit-for-bit the uninterrupted one.

    A model that accepts any input length (the recurrent builders' default) is fed length
    buckets (:class:`course_utils.batching.LengthBuckets`): batches of similar-length reviews,
    right-padded and trimmed to their bucket, shuffled every epoch from ``seed``; a review with no
    token is left out (a fully masked row stops cuDNN). A fixed-length model gets the padded
    arrays, shuffled by Keras.
    """
    if epochs < 1 or batch_size < 1:
        raise ValueError(f"epochs and batch_size must be positive, got {epochs} and {batch_size}.")
    if len(x) != len(y):
        raise ValueError(f"x has {len(x)} rows but y has {len(y)}.")
    x_tr, x_val, y_tr, y_val = validation_split(np.asarray(x), np.asarray(y), validation_fraction, seed)
    log = EpochLog(verbose)
    early, reduce = course_callbacks(patience=patience, reduce_lr_patience=reduce_lr_patience,
                                     min_delta=min_delta)
    resume = None
    if backup_dir is not None:
        resume = ResumeState(backup_dir, log, early, reduce)
        backup = [keras.callbacks.BackupAndRestore(str(Path(backup_dir) / "keras")), resume]
    callbacks = [log, early, reduce, *(backup if resume else ()), *callbacks]
    keras.utils.set_random_seed(int(seed))  # the shuffling order depends on this, not on history
    with steady_tf_input():
        if accepts_any_length(model):  # no empty review: cuDNN refuses a fully masked row
            tr, val = review_lengths(x_tr) > 0, review_lengths(x_val) > 0
            train = LengthBuckets(x_tr[tr], y_tr[tr], batch_size=batch_size, seed=seed)
            validation = LengthBuckets(x_val[val], y_val[val], batch_size=batch_size, shuffle=False)
            history = model.fit(train, validation_data=validation, epochs=epochs, callbacks=callbacks,
                                verbose=0)
        else:
            history = model.fit(x_tr, y_tr, validation_data=(x_val, y_val), epochs=epochs,
                                batch_size=batch_size, shuffle=True, callbacks=callbacks, verbose=0)
    hist = {k: [float(v) for v in vals] for k, vals in history.history.items()}
    if resume is not None:
        hist = resume.history  # the epochs before the interruption too
        shutil.rmtree(backup_dir, ignore_errors=True)  # type: ignore[arg-type]  # resume implies backup_dir
    result = TrainingResult(history=hist, epoch_seconds=log.seconds,
                            best_epoch=int(early.best_epoch) + 1, validation_size=len(y_val))
    if history_path is not None:
        result.save(history_path)
    return result
