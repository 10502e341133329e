"""Train, evaluate and record one model: the steps every training notebook shares."""
from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from collections.abc import Sequence

import keras
import numpy as np
import pandas as pd

from . import plots, reuse
from .i18n import _
from .narrative import stated_score
from .config import Profile
from .evaluation import MetricsRecord, classification_metrics, misclassified, predict_scores, save_record
from .models import count_params
from .text import EncodedData
from .reviews import _review_list, predict_reviews  # noqa: F401  (re-exported: notebooks call it here)
from .notebook import say
from .training import EpochLog, TrainingResult, fit_model


@dataclass
class Experiment:
    """A trained model with its training history, test scores and metrics record."""

    model: keras.Model
    encoded: EncodedData
    training: TrainingResult
    scores: np.ndarray
    record: MetricsRecord

    @property
    def metrics(self) -> pd.Series:
        """The test metrics as a Series (for display)."""
        return pd.Series(classification_metrics(self.encoded.y_test, self.scores), name=self.record.model)

    def plot_learning_curves(self, output_dir=None) -> None:
        """Show (and save) loss/accuracy per epoch."""
        plots.show(plots.learning_curves(self.training.history, title=self.record.model),
                   output_dir, f"{self.record.model}_learning_curves")

    def plot_evaluation(self, output_dir=None) -> None:
        """Show (and save) the confusion matrix and ROC curve on the test set."""
        y = self.encoded.y_test
        model = self.record.model
        plots.show(plots.confusion(y, self.scores, title=_("{model}: test set").format(model=model)),
                   output_dir, f"{model}_confusion")
        plots.show(plots.roc_curves({model: (y, self.scores)}, title=_("{model}: ROC").format(model=model)),
                   output_dir, f"{model}_roc")

    def misclassified(self, n: int = 5, reviews: pd.DataFrame | None = None) -> pd.DataFrame:
        """The most confidently wrong test reviews, decoded back to the tokens the model saw.

        Given the test split's ``reviews`` (with ``rating`` and ``text``), also shows the star
        rating from the file name and any score the review states in its own text ("9/10"):
        a review whose words contradict its label is a labelling error, not the model's.
        """
        texts = [self.encoded.vocab.decode(row) for row in self.encoded.x_test]
        frame = misclassified(texts, self.encoded.y_test, self.scores, n=n)
        frame["text"] = frame["text"].str.slice(0, 400) + "..."
        if reviews is not None:
            if len(reviews) != len(texts):
                raise ValueError(f"reviews has {len(reviews)} rows, the test set {len(texts)}.")
            frame.insert(1, "rating", reviews["rating"].to_numpy()[frame.index])
            frame.insert(2, "stated score", [stated_score(reviews["text"].iloc[i]) for i in frame.index])
        return frame

    def predict(self, reviews: Sequence[str]) -> pd.DataFrame:
        """Score any reviews a student types: words read and known, p(positive) and the verdict
        (see :func:`course_utils.reviews.predict_reviews`)."""
        return predict_reviews(self.model, self.encoded, reviews)


def run_experiment(model: keras.Model, encoded: EncodedData, profile: Profile,
                   output_dir: str | os.PathLike, *, notebook: str = "", epochs: int | None = None,
                   batch_size: int | None = None, verbose: bool = True, **fit_kwargs) -> Experiment:
    """Fit on the training split (validation carved from it), score the test set once,
    and write the metrics record, test scores and history under ``output_dir``.

    If this model was already trained into ``output_dir`` with the same settings (the key of
    ``course_utils.reuse``: architecture, initial weights, data, fit settings, code and package
    versions), it is loaded with its history instead, and the notebook says so; set
    ``$COURSE_RETRAIN=1`` to train anyway. An interrupted training resumes from its last epoch.

    Parameters
    ----------
    model : keras.Model
        The compiled, untrained model.
    encoded : EncodedData
        The encoded splits (:func:`course_utils.pipeline.prepare`).
    profile : Profile
        The run's profile (epochs, batch size, seed, validation fraction).
    output_dir : path
        Where the record, scores, history and stored model go.
    notebook : str, optional
        The notebook's name, written into the record.
    epochs, batch_size : int, optional
        Override the profile's.
    verbose : bool, default True
        Show a progress line per epoch.
    **fit_kwargs
        Passed on to :func:`course_utils.training.fit_model` (they count in the reuse key).

    Returns
    -------
    Experiment
        The model, its training result, test scores and metrics record.
    """
    output_dir = Path(output_dir)
    name = model.name
    settings: dict[str, Any] = dict(epochs=epochs or profile.epochs, batch_size=batch_size or profile.batch_size,
                                    seed=profile.seed, validation_fraction=profile.validation_fraction)
    key = reuse.training_key(model, encoded.x_train, encoded.y_train,
                             {**settings, **{k: _describe(v) for k, v in fit_kwargs.items()}})
    store = reuse.StoredModel(output_dir, name)
    history_path = output_dir / "histories" / f"{name}.json"
    entry = store.matches(key)
    reused = _reused(store, entry, history_path, encoded) if entry is not None else None
    if entry is not None and reused is not None:  # (reused implies entry)
        model, result, scores = reused
        say(reused_notice(name, entry, store))
    else:
        result = fit_model(model, encoded.x_train, encoded.y_train, history_path=history_path,
                           verbose=verbose, backup_dir=store.backup_dir(key), **settings, **fit_kwargs)
        scores = predict_scores(model, encoded.x_test)
    record = _save_record(model, encoded, profile, output_dir, result, scores, notebook)
    if reused is None:  # later notebooks, and a re-run of this one, reuse it
        store.save(model, key, trained=record.created, notebook=notebook,
                   scores_sha256=_digest(scores), history_sha256=_digest(history_path.read_bytes()))
    # Training and loading leave the random state in different places: reseed, so the next model
    # a notebook builds starts from the same weights whether this one was trained or reused.
    keras.utils.set_random_seed(_next_model_seed(profile.seed, name))
    return Experiment(model, encoded, result, scores, record)


def _save_record(model: keras.Model, encoded: EncodedData, profile: Profile, output_dir: Path,
                 result: TrainingResult, scores: np.ndarray, notebook: str) -> MetricsRecord:
    """The metrics record notebook 09 reads, written with the test scores."""
    record = MetricsRecord.from_scores(
        model.name, profile.name, encoded.y_test, scores, params=count_params(model), epochs=result.epochs,
        train_seconds=round(result.train_seconds, 2), notebook=notebook, backend=keras.backend.backend(),
        extra={"maxlen": encoded.maxlen, "vocab_size": len(encoded.vocab), "best_epoch": result.best_epoch,
               "test_reviews": int(len(encoded.y_test))})
    save_record(record, output_dir, encoded.y_test, scores)
    return record


#: The stored key of a model trained by a plain ``model.fit`` in a notebook (never a training key).
FIT_IN_NOTEBOOK = "fit-in-notebook"


def record_fit(model: keras.Model, history: keras.callbacks.History,
               callbacks: Sequence[keras.callbacks.Callback], encoded: EncodedData, profile: Profile,
               output_dir: str | os.PathLike, *, validation_size: int, notebook: str = "") -> Experiment:
    """Score the test set once after a ``model.fit`` written in a notebook, and record it.

    Notebook 03 trains its model with a plain ``model.fit``; this is what comes after it: the test
    scores, the metrics record and the history that notebook 09 reads.

    Parameters
    ----------
    model : keras.Model
        The trained model (early stopping has restored its best epoch's weights).
    history : keras.callbacks.History
        What ``model.fit`` returned.
    callbacks : sequence of keras.callbacks.Callback
        The callbacks given to ``fit``: the ``EarlyStopping`` tells which epoch was kept, the
        course's :class:`~course_utils.training.EpochLog` how long each epoch took.
    encoded : EncodedData
        The encoded reviews (its test split is scored).
    profile : Profile
        The run's profile.
    output_dir : path
        Where the record, the scores and the history are written.
    validation_size : int
        Reviews in the validation set.
    notebook : str
        The notebook's name, for the record.

    Returns
    -------
    Experiment
        The model with its history, test scores and record.

    Raises
    ------
    ValueError
        If ``callbacks`` holds no ``EarlyStopping`` or no ``EpochLog``.
    """
    early = [c for c in callbacks if isinstance(c, keras.callbacks.EarlyStopping)]
    log = [c for c in callbacks if isinstance(c, EpochLog)]
    if not early or not log:
        raise ValueError("callbacks must hold the EarlyStopping and the training.EpochLog given to model.fit "
                         "(they tell which epoch was kept and how long each took).")
    output_dir = Path(output_dir)
    hist = {k: [float(v) for v in values] for k, values in history.history.items()}
    best = int(early[0].best_epoch) + 1 if early[0].best_epoch is not None else len(log[0].seconds)
    result = TrainingResult(history=hist, epoch_seconds=list(log[0].seconds), best_epoch=best,
                            validation_size=int(validation_size))
    result.save(output_dir / "histories" / f"{model.name}.json")
    scores = predict_scores(model, encoded.x_test)
    record = _save_record(model, encoded, profile, output_dir, result, scores, notebook)
    # Stored for later notebooks (load_trained: 09's behavioural checks), under a key no training
    # key equals: a plain fit in a cell trains every time it runs, so it is never reused.
    reuse.StoredModel(output_dir, model.name).save(model, FIT_IN_NOTEBOOK, trained=record.created,
                                                   notebook=notebook)
    keras.utils.set_random_seed(_next_model_seed(profile.seed, model.name))
    return Experiment(model, encoded, result, scores, record)


def _next_model_seed(seed: int, name: str) -> int:
    """The seed after model ``name``: from the run's seed and the name, the same on every backend."""
    return int.from_bytes(hashlib.sha256(f"{seed}:{name}".encode()).digest()[:4], "big")


def _describe(value):
    """A fit keyword argument as it enters the key: callbacks by their class and settings."""
    if isinstance(value, (list, tuple)):
        return [_describe(v) for v in value]
    if isinstance(value, keras.callbacks.Callback):
        return {"callback": type(value).__qualname__,
                **{k: repr(v) for k, v in sorted(vars(value).items()) if not k.startswith("_") and k != "model"}}
    return value


def _digest(data) -> str:
    raw = data if isinstance(data, bytes) else np.ascontiguousarray(data).tobytes()
    return hashlib.sha256(raw).hexdigest()


def _reused(store: reuse.StoredModel, entry: dict, history_path: Path, encoded: EncodedData):
    """The stored model, its history and its test scores, if all are there and intact."""
    from .evaluation import load_scores

    saved = load_scores(store.output_dir, store.name)
    if (not history_path.is_file() or saved is None or _digest(history_path.read_bytes()) != entry.get("history_sha256")
            or _digest(saved[1]) != entry.get("scores_sha256") or not np.array_equal(saved[0], encoded.y_test)):
        return None
    return store.load(), TrainingResult.load(history_path), saved[1]


def reused_notice(name: str, entry: dict, store: reuse.StoredModel) -> str:
    """What a notebook says when it loads a model instead of training it."""
    values = dict(name=name, path=store.model_path.relative_to(store.output_dir).as_posix(),
                  trained=entry.get("trained"))
    if entry.get("trained"):
        return _("**Reused** `{name}`: this output folder already holds it trained with exactly these settings "
                 "(profile, seed, data, code and package versions, trained {trained}), so it was loaded from "
                 "`{path}` with its training history instead of training again. Set `COURSE_RETRAIN=1` (or delete "
                 "that file) to train it again.").format(**values)
    return _("**Reused** `{name}`: this output folder already holds it trained with exactly these settings "
             "(profile, seed, data, code and package versions), so it was loaded from `{path}` with its training "
             "history instead of training again. Set `COURSE_RETRAIN=1` (or delete that file) to train it "
             "again.").format(**values)


def load_trained(output_dir: str | os.PathLike, name: str) -> keras.Model | None:
    """A model an earlier notebook trained and saved (None if that notebook has not run).

    Parameters
    ----------
    output_dir : path
        The folder the notebooks write into.
    name : str
        The model's name.

    Returns
    -------
    keras.Model or None
        The stored model, or None.
    """
    store = reuse.StoredModel(Path(output_dir), name)
    return store.load() if store.model_path.exists() else None
