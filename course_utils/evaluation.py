"""Metrics (from scikit-learn) and the metrics record every training notebook writes."""
from __future__ import annotations

import datetime as _dt
import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn import metrics as skm

from .fileio import atomic_path, write_json_atomic

METRIC_NAMES = ("accuracy", "precision", "recall", "f1", "cohen_kappa", "roc_auc")
RECORDS_SUBDIR = "metrics"


def classification_metrics(y_true, y_score, threshold: float = 0.5) -> dict[str, float]:
    """Accuracy, precision, recall, F1, Cohen's kappa and ROC-AUC for binary scores.

    ``y_score`` holds probabilities of the positive class; predictions are ``>= threshold``.

    Parameters
    ----------
    y_true : array-like of int
        The labels, 0 or 1.
    y_score : array-like of float
        p(positive) for each review.
    threshold : float, default 0.5
        Scores at or above it are positive predictions.

    Returns
    -------
    dict of str to float
        ``accuracy``, ``precision``, ``recall``, ``f1``, ``cohen_kappa`` and ``roc_auc`` (the last
        two NaN when ``y_true`` holds one class only).

    Raises
    ------
    ValueError
        If the two have different sizes or ``y_true`` holds other labels than 0 and 1.
    """
    y_true = np.asarray(y_true).ravel()
    y_score = np.asarray(y_score, dtype=float).ravel()
    if y_true.shape != y_score.shape:
        raise ValueError(f"y_true has {y_true.size} values but y_score has {y_score.size}.")
    if not set(np.unique(y_true)) <= {0, 1}:
        raise ValueError("y_true must hold only 0 and 1 labels.")
    y_pred = (y_score >= threshold).astype(int)
    both = len(np.unique(y_true)) == 2
    return {
        "accuracy": float(skm.accuracy_score(y_true, y_pred)),
        "precision": float(skm.precision_score(y_true, y_pred, zero_division=0)),
        "recall": float(skm.recall_score(y_true, y_pred, zero_division=0)),
        "f1": float(skm.f1_score(y_true, y_pred, zero_division=0)),
        "cohen_kappa": float(skm.cohen_kappa_score(y_true, y_pred)) if both else float("nan"),
        "roc_auc": float(skm.roc_auc_score(y_true, y_score)) if both else float("nan"),
    }


def predict_scores(model, x: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Positive-class probabilities of a Keras model, as a flat float array.

    A model that accepts any input length reads length buckets (same scores, fewer steps)."""
    from .batching import accepts_any_length, predict_bucketed
    from .training import steady_tf_input
    with steady_tf_input():
        if accepts_any_length(model) and len(x):
            return np.asarray(predict_bucketed(model, x, batch_size), dtype=float).ravel()
        return np.asarray(model.predict(x, batch_size=batch_size, verbose=0), dtype=float).ravel()


def majority_baseline_scores(y_train, n: int) -> np.ndarray:
    """Scores of the classifier that always predicts the training set's most common class.

    Parameters
    ----------
    y_train : array-like of int
        The training labels.
    n : int
        How many reviews to score.

    Returns
    -------
    numpy.ndarray
        ``n`` scores, all 1.0 or all 0.0.
    """
    positive_share = float(np.mean(np.asarray(y_train)))
    return np.full(n, 1.0 if positive_share >= 0.5 else 0.0)


@dataclass
class MetricsRecord:
    """The one schema of the JSON record a training notebook writes and notebook 09 reads."""

    model: str
    profile: str
    params: int
    epochs: int
    train_seconds: float
    accuracy: float
    precision: float
    recall: float
    f1: float
    cohen_kappa: float
    roc_auc: float
    notebook: str = ""
    backend: str = ""
    created: str = field(default_factory=lambda: _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"))
    extra: dict = field(default_factory=dict)

    @classmethod
    def from_scores(cls, model: str, profile: str, y_true, y_score, *, params: int, epochs: int,
                    train_seconds: float, **kwargs) -> MetricsRecord:
        """Compute the metrics from scores and fill a record."""
        metrics: dict[str, Any] = classification_metrics(y_true, y_score)  # the six metric fields
        return cls(model=model, profile=profile, params=int(params), epochs=int(epochs),
                   train_seconds=float(train_seconds), **metrics, **kwargs)

    @classmethod
    def from_dict(cls, data: dict) -> MetricsRecord:
        """Validate and build a record from parsed JSON."""
        names = {f.name for f in fields(cls)}
        required = {"model", "profile", "params", "epochs", "train_seconds", *METRIC_NAMES}
        missing = sorted(required - data.keys())
        if missing:
            raise ValueError(f"metrics record lacks the fields {missing}.")
        return cls(**{k: v for k, v in data.items() if k in names})


def save_record(record: MetricsRecord, output_dir: str | os.PathLike, y_true=None, y_score=None) -> Path:
    """Write ``<output_dir>/metrics/<model>.json`` (and the test scores, for ROC overlays).

    Parameters
    ----------
    record : MetricsRecord
        The record to write.
    output_dir : path
        The folder the notebooks write into.
    y_true, y_score : array-like, optional
        The test labels and scores, saved beside the record when both are given.

    Returns
    -------
    pathlib.Path
        The record's JSON file.
    """
    folder = Path(output_dir) / RECORDS_SUBDIR
    path = write_json_atomic(folder / f"{record.model}.json", asdict(record))
    if y_true is not None and y_score is not None:
        with atomic_path(folder / f"{record.model}.scores.npz") as tmp:
            with open(tmp, "wb") as handle:
                np.savez_compressed(handle, y_true=np.asarray(y_true), y_score=np.asarray(y_score))
    return path


def _notebook_number(name: str) -> int | None:
    head = name.split("_", 1)[0]
    return int(head) if head.isdigit() else None


def with_reference(records: pd.DataFrame, reference: str | os.PathLike | None = None) -> pd.DataFrame:
    """``records`` plus the committed full run's records of every model missing from them.

    A ``source`` column says which is which ("this run" or "committed full run"), so a notebook
    run alone (in Colab, say) still compares every model, honestly labelled.

    Parameters
    ----------
    records : pandas.DataFrame
        This run's records (:func:`load_records`).
    reference : path, optional
        The committed records (default: ``course_utils/results/reference_records.json``).

    Returns
    -------
    pandas.DataFrame
        ``records`` and the missing committed rows, with a ``source`` column.
    """
    from .results import RECORDS

    path = Path(reference) if reference is not None else RECORDS
    records = records.assign(source="this run")
    if not path.exists():
        return records
    rows = [asdict(MetricsRecord.from_dict(r)) for r in json.loads(path.read_text(encoding="utf-8"))]
    committed = pd.DataFrame(rows, columns=[f.name for f in fields(MetricsRecord)]).set_index("model")
    missing = committed.loc[[m for m in committed.index if m not in records.index]]
    return pd.concat([records, missing.assign(source="committed full run")])


def write_reference_records(output_dir: str | os.PathLike, target: str | os.PathLike) -> Path:
    """Write every metrics record of a run into one JSON list (the package's reference records)."""
    folder = Path(output_dir) / RECORDS_SUBDIR
    rows = [asdict(MetricsRecord.from_dict(json.loads(p.read_text(encoding="utf-8"))))
            for p in sorted(folder.glob("*.json"))]
    if not rows:
        raise ValueError(f"{folder} holds no metrics records: run the notebooks first.")
    return write_json_atomic(target, rows)


def load_records(output_dir: str | os.PathLike, *, up_to: str | None = None) -> pd.DataFrame:
    """All metrics records under ``<output_dir>/metrics`` as a DataFrame indexed by model.

    Parameters
    ----------
    output_dir : path
        The folder the notebooks write into.
    up_to : str, optional
        A notebook name such as ``"05_lstm"``: keep only records written by notebooks
        numbered up to this one, so the table a notebook shows is the same whether or not
        later notebooks have already run into the folder.

    Returns
    -------
    pandas.DataFrame
        One row per record, indexed by model (empty when there are none).

    Raises
    ------
    ValueError
        If a record is not valid, or ``up_to`` is not a numbered notebook name.
    """
    limit = None
    if up_to is not None:
        limit = _notebook_number(up_to)
        if limit is None:
            raise ValueError(f"up_to must be a numbered notebook name like '05_lstm', got {up_to!r}.")
    folder = Path(output_dir) / RECORDS_SUBDIR
    rows = []
    for path in sorted(folder.glob("*.json")):
        try:
            row = asdict(MetricsRecord.from_dict(json.loads(path.read_text(encoding="utf-8"))))
        except (ValueError, TypeError) as exc:
            raise ValueError(f"{path.name} is not a valid metrics record: {exc}") from exc
        number = _notebook_number(row["notebook"] or "")
        if limit is None or (number is not None and number <= limit):
            rows.append(row)
    columns = [f.name for f in fields(MetricsRecord)]
    return pd.DataFrame(rows, columns=columns).set_index("model")


def load_scores(output_dir: str | os.PathLike, model: str) -> tuple[np.ndarray, np.ndarray] | None:
    """The ``(y_true, y_score)`` saved beside a record, or None if there are none.

    Parameters
    ----------
    output_dir : path
        The folder the notebooks write into.
    model : str
        The model's name.

    Returns
    -------
    tuple of numpy.ndarray, or None
        ``(y_true, y_score)``, or None when that model's scores were not saved.
    """
    path = Path(output_dir) / RECORDS_SUBDIR / f"{model}.scores.npz"
    if not path.exists():
        return None
    with np.load(path) as data:
        return data["y_true"], data["y_score"]


def misclassified(texts, y_true, y_score, *, n: int = 5, threshold: float = 0.5) -> pd.DataFrame:
    """The ``n`` most confidently wrong predictions, with their text, label and score."""
    y_true = np.asarray(y_true).ravel()
    y_score = np.asarray(y_score, dtype=float).ravel()
    wrong = np.flatnonzero((y_score >= threshold).astype(int) != y_true)
    confidence = np.abs(y_score[wrong] - threshold)
    order = wrong[np.argsort(-confidence, kind="stable")][:n]
    texts = list(texts)
    return pd.DataFrame({"label": y_true[order], "score": y_score[order],
                         "text": [texts[i] for i in order]}, index=order)
