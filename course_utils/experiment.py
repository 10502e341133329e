"""Train, evaluate and record one model: the steps every training notebook shares."""
from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Sequence

import keras
import numpy as np
import pandas as pd

from . import plots
from .narrative import stated_score
from .config import Profile
from .evaluation import MetricsRecord, classification_metrics, misclassified, predict_scores, save_record
from .models import count_params
from .text import OOV, EncodedData
from .training import TrainingResult, fit_model


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
        plots.show(plots.confusion(y, self.scores, title=f"{self.record.model}: test set"),
                   output_dir, f"{self.record.model}_confusion")
        plots.show(plots.roc_curves({self.record.model: (y, self.scores)}, title=f"{self.record.model}: ROC"),
                   output_dir, f"{self.record.model}_roc")

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
        """Score any reviews a student types: probability of 'positive' and the verdict."""
        return predict_reviews(self.model, self.encoded, reviews)


def _review_list(reviews) -> list[str]:
    """``reviews`` as a list of str, or a TypeError that says what is accepted."""
    if isinstance(reviews, str):
        return [reviews]
    accepted = "a str or a list of str, e.g. predict_reviews(model, enc, [\"Great film!\"])"
    if isinstance(reviews, (bytes, bytearray)):
        raise TypeError(f"reviews must be {accepted}; got bytes: decode them first, "
                        f"e.g. reviews.decode('utf-8').")
    if reviews is None or not isinstance(reviews, (list, tuple, pd.Series, np.ndarray)):
        raise TypeError(f"reviews must be {accepted}; got {type(reviews).__name__}.")
    reviews = list(reviews)
    for i, review in enumerate(reviews):
        if not isinstance(review, str):
            raise TypeError(f"reviews must be {accepted}; item {i} is {type(review).__name__} "
                            f"({review!r:.40}).")
    return reviews


def predict_reviews(model: keras.Model, encoded: EncodedData, reviews: str | Sequence[str]) -> pd.DataFrame:
    """Probability that each review is positive; any string works.

    A review in which no word is in the vocabulary (``""``, emoji only, another language) has
    nothing for the model to read: its verdict is ``"no known words"``, and ``p(positive)`` is
    what the model answers for an empty input (a number, never NaN).

    Raises
    ------
    TypeError
        If ``reviews`` is not a str or a list of str.
    """
    reviews = _review_list(reviews)
    x = np.concatenate([encoded.encode_review(r) for r in reviews]) if reviews else \
        np.zeros((0, encoded.maxlen), dtype=np.int32)
    scores = predict_scores(model, x) if len(x) else np.zeros(0)
    known = (x > OOV).sum(axis=1)
    verdict = np.where(scores >= 0.5, "positive", "negative")
    return pd.DataFrame({"review": reviews, "known words": known, "p(positive)": np.round(scores, 3),
                         "verdict": np.where(known == 0, "no known words", verdict)})


def run_experiment(model: keras.Model, encoded: EncodedData, profile: Profile,
                   output_dir: str | os.PathLike, *, notebook: str = "", epochs: int | None = None,
                   batch_size: int | None = None, verbose: bool = True, **fit_kwargs) -> Experiment:
    """Fit on the training split (validation carved from it), score the test set once,
    and write the metrics record, test scores and history under ``output_dir``."""
    output_dir = Path(output_dir)
    name = model.name
    result = fit_model(model, encoded.x_train, encoded.y_train, epochs=epochs or profile.epochs,
                       batch_size=batch_size or profile.batch_size, seed=profile.seed,
                       validation_fraction=profile.validation_fraction,
                       history_path=output_dir / "histories" / f"{name}.json", verbose=verbose,
                       **fit_kwargs)
    scores = predict_scores(model, encoded.x_test)
    record = MetricsRecord.from_scores(
        name, profile.name, encoded.y_test, scores, params=count_params(model), epochs=result.epochs,
        train_seconds=round(result.train_seconds, 2), notebook=notebook, backend=keras.backend.backend(),
        extra={"maxlen": encoded.maxlen, "vocab_size": len(encoded.vocab), "best_epoch": result.best_epoch,
               "test_reviews": int(len(encoded.y_test))})
    save_record(record, output_dir, encoded.y_test, scores)
    (output_dir / "models").mkdir(parents=True, exist_ok=True)
    model.save(output_dir / "models" / f"{name}.keras")  # later notebooks may reuse it
    return Experiment(model, encoded, result, scores, record)


def load_trained(output_dir: str | os.PathLike, name: str) -> keras.Model | None:
    """A model an earlier notebook trained and saved (None if that notebook has not run)."""
    path = Path(output_dir) / "models" / f"{name}.keras"
    return keras.models.load_model(path) if path.exists() else None
