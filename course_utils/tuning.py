"""Hyperparameter search with KerasTuner: random search and Hyperband under the same budget.

The models are the course's own (:func:`course_utils.models.build_recurrent`, so the
length-aware, cuDNN-eligible layers stay); KerasTuner picks ``learning_rate``, ``units``,
``dropout`` and ``embedding_dim`` from a search space given as a dict of choices, e.g.::

    space = {"learning_rate": [3e-4, 1e-3], "units": [16, 32], "dropout": [0.2, 0.4],
             "embedding_dim": [32, 64]}

**The budget is epochs trained.** Hyperband (Li et al., 2018) trains many configurations for
a few epochs and carries on only the best ones; random search trains each configuration it
draws for ``max_epochs``. Both are given the same number of epochs (:func:`search_budget`),
so the comparison is about how the epochs are spent, not how many there are.

Every trial writes a folder under ``directory/<project>`` (KerasTuner's format); the results
table is read back from there (:func:`trials_table`), so a distributed search
(``course_tools.tune``) is reported the same way as one in this process.
"""
from __future__ import annotations

import json
import math
import os
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal
from collections.abc import Callable, Mapping, Sequence

import keras
import keras_tuner as kt
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from . import models, plots
from .i18n import _, label
from .progress import progress_bar
from .training import seed_everything, steady_tf_input, validation_split

TunerKind = Literal["random", "hyperband"]
TUNERS: tuple[TunerKind, ...] = ("random", "hyperband")
#: What the search space may choose: keyword arguments of :func:`models.build_recurrent`.
HYPERPARAMETERS: tuple[str, ...] = ("learning_rate", "units", "dropout", "embedding_dim")
#: Labels used in tables, figures and sentences.
LABELS = {"random": "random search", "hyperband": "Hyperband"}
OBJECTIVE = "val_accuracy"
#: Notebook 09's search space (``make tune`` searches the same one).
SPACE: dict[str, list] = {"learning_rate": [3e-4, 1e-3, 2e-3, 5e-3], "units": [16, 32, 64, 128],
                          "dropout": [0.2, 0.4, 0.5], "embedding_dim": [32, 64, 128]}


def stratified_subset(x, y, n: int, *, seed: int):
    """A seeded, class-balanced subset of ``n`` rows (IMDB arrays are sorted by label:
    ``x[:n]`` would hold one class only). ``n`` at least the number of rows returns all of them.

    Parameters
    ----------
    x, y : numpy.ndarray
        Inputs and labels.
    n : int
        Rows wanted.
    seed : int
        Seed of the draw.

    Returns
    -------
    tuple of numpy.ndarray
        ``(x_subset, y_subset)``; ``(x, y)`` themselves when ``n`` covers every row.

    Raises
    ------
    ValueError
        If ``n`` is not a positive number.
    """
    y = np.asarray(y)
    if n < 1:
        raise ValueError(f"n must be a positive number of rows, got {n!r}.")
    if n >= len(y):
        return x, y
    x_sub, _, y_sub, _ = train_test_split(x, y, train_size=n, random_state=seed, stratify=y)
    return x_sub, y_sub


def check_space(space: Mapping[str, Sequence]) -> dict[str, list]:
    """Validate a search space (name -> non-empty list of choices of one type); return a copy."""
    if not isinstance(space, Mapping) or not space:
        raise ValueError(f"space must be a non-empty dict of name -> choices, got {space!r}.")
    unknown = sorted(set(space) - set(HYPERPARAMETERS))
    if unknown:
        raise ValueError(f"unknown hyperparameter(s) {unknown} in the space: the builders tune "
                         f"{list(HYPERPARAMETERS)}; fix the name or set it through `fixed=` instead.")
    checked = {}
    for name, choices in space.items():
        if isinstance(choices, (str, bytes)) or not isinstance(choices, Sequence) or len(choices) == 0:
            raise ValueError(f"space[{name!r}] must be a non-empty list of choices, got {choices!r}.")
        kinds = {type(c) for c in choices}
        if not (kinds <= {int} or kinds <= {int, float}):
            raise ValueError(f"space[{name!r}] must hold numbers only, got {choices!r}.")
        if len(set(choices)) != len(choices):
            raise ValueError(f"space[{name!r}] repeats a choice: {choices!r}.")
        checked[name] = [float(c) for c in choices] if float in kinds else [int(c) for c in choices]
    return checked


def grid_size(space: Mapping[str, Sequence]) -> int:
    """Number of configurations in the full grid over ``space``."""
    return math.prod(len(v) for v in space.values())


def grid_cost(space: Mapping[str, Sequence], seconds_per_config: float, *, folds: int = 1) -> dict[str, float]:
    """What the full grid would cost at ``seconds_per_config`` (e.g. from :func:`seconds_per_epoch`
    times the epochs of one configuration).

    Parameters
    ----------
    space : mapping of str to sequence
        The search space: the values of each hyperparameter.
    seconds_per_config : float
        Training seconds of one configuration.
    folds : int, default 1
        Trainings per configuration (cross-validation folds).

    Returns
    -------
    dict of str to float
        ``configurations``, ``folds``, ``seconds per configuration`` and ``hours``.

    Raises
    ------
    ValueError
        If ``seconds_per_config`` is negative or ``folds`` below 1.
    """
    if seconds_per_config < 0 or folds < 1:
        raise ValueError(f"seconds_per_config must be >= 0 and folds >= 1, got {seconds_per_config} and {folds}.")
    configs = grid_size(space)
    total = configs * folds * seconds_per_config
    return {"configurations": configs, "folds": folds, "seconds per configuration": round(seconds_per_config, 2),
            "hours": round(total / 3600, 2)}


def seconds_per_epoch(table: pd.DataFrame) -> float:
    """Measured training seconds per epoch over every trial of ``table`` (:func:`trials_table`).

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`trials_table`'s table.

    Returns
    -------
    float
        Seconds per epoch.

    Raises
    ------
    ValueError
        If the table holds no trained epoch.
    """
    epochs = table["epochs trained"].sum()
    if epochs < 1:
        raise ValueError("the table holds no trained epoch: run a search first.")
    return float(table["seconds"].sum() / epochs)


# --- The budget ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class SearchBudget:
    """Hyperband's plan and the random search given the same epochs (see :func:`search_budget`)."""

    max_epochs: int
    factor: int
    iterations: int
    hyperband_trials: int
    hyperband_epochs: int
    random_trials: int

    @property
    def random_epochs(self) -> int:
        return self.random_trials * self.max_epochs

    def epochs(self, tuner: TunerKind) -> int:
        """Epochs the tuner will train in all."""
        return self.hyperband_epochs if tuner == "hyperband" else self.random_epochs


def _hyperband_rounds(max_epochs: int, factor: int) -> list[tuple[int, int, int]]:
    """``(trials, epochs of the model at the end, epochs it had before)`` per round of one
    Hyperband iteration, in KerasTuner's ``HyperbandOracle`` arithmetic."""
    brackets, epochs = 0, float(max_epochs)
    while epochs >= 1:  # the oracle's min_epochs is 1
        epochs /= factor
        brackets += 1
    last_size = math.ceil(1 + math.log(max_epochs, factor))
    rounds = []
    for bracket in reversed(range(brackets)):  # the oracle starts with the widest bracket
        before = 0
        for r in range(bracket + 1):
            size = math.ceil(last_size / (bracket + 1) * factor ** (bracket - r))
            until = math.ceil(max_epochs / factor ** (bracket - r))
            rounds.append((size, until, before))
            before = until
    return rounds


def search_budget(max_epochs: int, *, factor: int = 3, iterations: int = 1) -> SearchBudget:
    """The epochs Hyperband trains, and as many random-search trials as fit in them.

    KerasTuner's Hyperband runs ``b = 0 … B-1`` brackets, ``B`` the number of times
    ``max_epochs`` can be divided by ``factor`` and stay >= 1. The end size of the last bracket
    is ``s = ceil(1 + log_factor(max_epochs))``; round ``r`` of bracket ``b`` trains
    ``ceil(s / (b + 1) * factor**(b - r))`` models up to ``ceil(max_epochs / factor**(b - r))``
    epochs. A model promoted to the next round resumes from its checkpoint, so it trains only
    the difference. Summed over rounds, brackets and ``iterations``, that is the budget in
    epochs. Random search trains each configuration for ``max_epochs``, so it gets
    ``budget // max_epochs`` trials: never more epochs than Hyperband, at most
    ``max_epochs - 1`` fewer.

    Example: ``max_epochs=3, factor=3``: B = 2 brackets, s = 2. Bracket 1: 3 models x 1 epoch,
    then the best one 2 more epochs (5 epochs); bracket 0: 2 models x 3 epochs (6 epochs).
    Hyperband: 6 trials, 11 epochs; random search: 11 // 3 = 3 trials of 3 epochs (9 epochs).

    Parameters
    ----------
    max_epochs : int
        The most epochs one configuration trains.
    factor : int, default 3
        Hyperband's reduction factor.
    iterations : int, default 1
        Hyperband iterations.

    Returns
    -------
    SearchBudget
        The epochs and trials of each tuner.

    Raises
    ------
    ValueError
        If ``max_epochs``, ``factor`` or ``iterations`` is not a positive integer, or ``factor``
        is below 2.
    """
    for name, value in {"max_epochs": max_epochs, "factor": factor, "iterations": iterations}.items():
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"{name} must be a positive integer, got {value!r}.")
    if factor < 2:
        raise ValueError(f"factor must be at least 2 (Hyperband keeps 1/factor of the models), got {factor}.")
    rounds = _hyperband_rounds(int(max_epochs), int(factor))
    trials = iterations * sum(size for size, _, _ in rounds)
    epochs = iterations * sum(size * (until - before) for size, until, before in rounds)
    return SearchBudget(int(max_epochs), int(factor), int(iterations), trials, epochs, max(1, epochs // max_epochs))


# --- The hypermodel and the tuners ---------------------------------------------------------------

class RecurrentHyperModel(kt.HyperModel):
    """A course recurrent model (``models.build_recurrent``) whose hyperparameters KerasTuner picks.

    Parameters
    ----------
    space : dict
        Hyperparameter name (one of :data:`HYPERPARAMETERS`) -> list of choices.
    vocab_size, maxlen : int
        The encoded data's vocabulary size and sequence length.
    kind : {"gru", "lstm", "simple_rnn"}
        The recurrent cell.
    seed : int
        Seeds the initial weights of every model and the shuffling of every fit.
    batch_size : int
        Mini-batch size of every fit.
    fixed : dict, optional
        Other keyword arguments of ``build_recurrent`` (e.g. ``head="pool"``).
    """

    def __init__(self, space: Mapping[str, Sequence], *, vocab_size: int, maxlen: int,
                 kind: models.RecurrentKind = "gru", seed: int = 42, batch_size: int = 64,
                 fixed: Mapping[str, Any] | None = None) -> None:
        super().__init__(name=f"tuned_{kind}")
        self.space = check_space(space)
        fixed = dict(fixed or {})
        clash = sorted(set(fixed) & set(self.space))
        if clash:
            raise ValueError(f"{clash} are both tuned (space) and fixed: keep each in one of them.")
        if batch_size < 1:
            raise ValueError(f"batch_size must be positive, got {batch_size}.")
        self.vocab_size, self.maxlen, self.kind = int(vocab_size), int(maxlen), kind
        self.seed, self.batch_size, self.fixed = int(seed), int(batch_size), fixed

    def build(self, hp: kt.HyperParameters) -> keras.Model:
        values = {name: hp.Choice(name, choices) for name, choices in self.space.items()}
        keras.utils.set_random_seed(self.seed)  # the same initial weights for the same configuration
        return models.build_recurrent(self.kind, self.vocab_size, self.maxlen, **values, **self.fixed)

    def fit(self, hp, model, x, y, *, validation_data, epochs: int, initial_epoch: int = 0,
            callbacks: Sequence[keras.callbacks.Callback] = (), **kwargs) -> dict[str, float]:
        """Train quietly; report the best validation accuracy, the epochs trained and the seconds."""
        keras.utils.set_random_seed(self.seed + int(initial_epoch))  # the shuffling order
        start = time.perf_counter()
        with steady_tf_input():
            history = model.fit(x, y, validation_data=validation_data, epochs=epochs, initial_epoch=initial_epoch,
                                batch_size=self.batch_size, shuffle=True, callbacks=list(callbacks), verbose=0)
        accuracies = history.history[OBJECTIVE]
        return {OBJECTIVE: float(max(accuracies)), "epochs_trained": float(len(accuracies)),
                "seconds": time.perf_counter() - start}


class _Reporting:
    """Mixin for KerasTuner tuners: one report per finished trial, a worker that waits for a
    Hyperband round polls the chief twice a second instead of spinning, and no tensorboard
    import unless a TensorBoard callback is used."""

    report: Callable[[str, dict, dict], None] | None = None
    oracle: Any  # the tuner's (KerasTuner's class beside this mixin sets it)

    def __init__(self, *args, report: Callable[[str, dict, dict], None] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.report = report
        if type(self.oracle).__name__ != "OracleClient":  # only a distributed worker waits for rounds
            return
        create = self.oracle.create_trial

        def create_trial(tuner_id):
            trial = create(tuner_id)
            if trial.status == kt.engine.trial.TrialStatus.IDLE:
                time.sleep(0.5)
            return trial

        self.oracle.create_trial = create_trial

    def _configure_tensorboard_dir(self, callbacks, trial, execution=0):
        # KerasTuner 1.4 imports tensorboard here on TensorFlow even when no TensorBoard callback
        # is given; TensorFlow >= 2.21 no longer installs tensorboard. Only a TensorBoard
        # callback needs it.
        if any(type(c).__name__ == "TensorBoard" for c in callbacks):
            super()._configure_tensorboard_dir(callbacks, trial, execution)

    def run_trial(self, trial, *args, **kwargs):
        with warnings.catch_warnings():
            # A Hyperband model carried on loads its weights into a fresh optimizer (KerasTuner
            # restarts Adam's moments); Keras warns about the optimizer variables it skips.
            warnings.filterwarnings("ignore", message="Skipping variable loading for optimizer")
            results = super().run_trial(trial, *args, **kwargs)
        if self.report is not None:
            self.report(trial.trial_id, dict(trial.hyperparameters.values), results[-1])
        return results


class CourseRandomSearch(_Reporting, kt.RandomSearch):
    """``kt.RandomSearch`` that reports each trial (``report=``)."""


class CourseHyperband(_Reporting, kt.Hyperband):
    """``kt.Hyperband`` that reports each trial (``report=``)."""


def make_tuner(tuner: TunerKind, hypermodel: kt.HyperModel, budget: SearchBudget, *,
               directory: str | os.PathLike, project_name: str | None = None, seed: int = 42,
               overwrite: bool = True, report: Callable[[str, dict, dict], None] | None = None) -> kt.Tuner:
    """A seeded KerasTuner tuner writing its trials to ``directory/project_name`` (default: ``tuner``)."""
    if tuner not in TUNERS:
        raise ValueError(f"tuner must be one of {list(TUNERS)}, got {tuner!r}.")
    common = dict(objective=kt.Objective(OBJECTIVE, "max"), seed=int(seed), directory=str(directory),
                  project_name=project_name or tuner, overwrite=overwrite, report=report)
    if tuner == "hyperband":
        return CourseHyperband(hypermodel, max_epochs=budget.max_epochs, factor=budget.factor,
                               hyperband_iterations=budget.iterations, **common)
    return CourseRandomSearch(hypermodel, max_trials=budget.random_trials, **common)


def trial_line(trial_id: str, values: Mapping, result: Mapping) -> str:
    """One line per finished trial, e.g. ``trial 0003 done: units=32 … 2 epochs, val_accuracy 0.712, 4.1 s``."""
    settings = " ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}"
                        for k, v in values.items() if not k.startswith("tuner/"))
    return (f"trial {trial_id} done: {settings}; {int(result['epochs_trained'])} epoch(s), "
            f"{OBJECTIVE} {result[OBJECTIVE]:.3f}, {result['seconds']:.1f} s")


def run_search(tuner: TunerKind, hypermodel: RecurrentHyperModel, x, y, *, budget: SearchBudget,
               directory: str | os.PathLike, validation_fraction: float = 0.2,
               progress: bool | None = None, log: Callable[[str], None] | None = None) -> pd.DataFrame:
    """Run one tuner on ``x, y`` (a seeded, stratified validation split is held out) and return
    :func:`trials_table` for it.

    A progress bar counts the epochs of the budget (off with ``$COURSE_PROGRESS=0``); ``log``
    (e.g. ``print``) gets one line per finished trial.
    """
    seed = hypermodel.seed
    x_tr, x_val, y_tr, y_val = validation_split(np.asarray(x), np.asarray(y), validation_fraction, seed)
    seed_everything(seed)
    bar = progress_bar(total=budget.epochs(tuner), desc=LABELS[tuner], unit="epoch", enabled=progress, leave=False)
    best = [0.0]

    def report(trial_id, values, result):
        best[0] = max(best[0], result[OBJECTIVE])
        bar.update(int(result["epochs_trained"]))
        bar.set_postfix(best=f"{best[0]:.3f}")
        if log is not None:
            log(trial_line(trial_id, values, result))

    search = make_tuner(tuner, hypermodel, budget, directory=directory, seed=seed, report=report)
    try:
        search.search(x_tr, y_tr, validation_data=(x_val, y_val), epochs=budget.max_epochs, verbose=0)
    finally:
        bar.close()
    return trials_table(search.project_dir)


def compare_tuners(hypermodel: RecurrentHyperModel, x, y, *, budget: SearchBudget,
                   directory: str | os.PathLike, tuners: Sequence[TunerKind] = TUNERS,
                   validation_fraction: float = 0.2, progress: bool | None = None,
                   log: Callable[[str], None] | None = None) -> pd.DataFrame:
    """Run each tuner under the same budget (folders ``directory/<tuner>``, started afresh) and
    return one table: a ``tuner`` column, then :func:`trials_table`'s, best first.

    Parameters
    ----------
    hypermodel : RecurrentHyperModel
        The model and search space.
    x, y : numpy.ndarray
        The training inputs and labels (the validation split is carved from them).
    budget : SearchBudget
        :func:`search_budget`'s result.
    directory : path
        Where the tuners' folders go.
    tuners : sequence of {"random", "hyperband"}, default both
        The tuners to run, in order.
    validation_fraction : float, default 0.2
        The share held out for the objective.
    progress : bool, optional
        Show a progress bar (default: in a notebook).
    log : callable, optional
        Called with a line per finished trial.

    Returns
    -------
    pandas.DataFrame
        One row per trial of every tuner.
    """
    tables = [run_search(t, hypermodel, x, y, budget=budget, directory=directory,
                         validation_fraction=validation_fraction, progress=progress, log=log)
              .assign(tuner=LABELS[t]) for t in tuners]
    table = pd.concat(tables, ignore_index=True)
    table = table[["tuner", *[c for c in table.columns if c != "tuner"]]]
    return _best_first(table)


# --- Reading results back -------------------------------------------------------------------------

def read_trials(project_dir: str | os.PathLike) -> pd.DataFrame:
    """Every trial KerasTuner saved under ``project_dir`` (``trial_*/trial.json``), in start order,
    with its ``status`` (``COMPLETED``, or e.g. ``RUNNING`` for a trial whose worker died, or
    ``UNREADABLE`` for a file cut short by a killed process)."""
    rows = []
    for path in sorted(Path(project_dir).glob("trial_*/trial.json")):
        try:
            state = json.loads(path.read_text())
        except ValueError:  # KerasTuner writes it in place: a process killed mid-write leaves it cut
            rows.append({"trial": path.parent.name.removeprefix("trial_"), "status": "UNREADABLE"})
            continue
        values = state["hyperparameters"]["values"]
        metrics = {name: m["observations"][-1]["value"][0] for name, m in state["metrics"]["metrics"].items()
                   if m.get("observations")}
        row = {"trial": state["trial_id"], **{k: v for k, v in values.items() if not k.startswith("tuner/")},
               "epochs trained": int(metrics.get("epochs_trained", 0)),
               "epochs in all": int(values.get("tuner/epochs", metrics.get("epochs_trained", 0))),
               OBJECTIVE: metrics.get(OBJECTIVE, float("nan")),
               "seconds": round(float(metrics.get("seconds", float("nan"))), 2), "status": state["status"]}
        rows.append(row)
    return pd.DataFrame(rows)


def trials_table(project_dir: str | os.PathLike) -> pd.DataFrame:
    """The completed trials of ``project_dir``: hyperparameters, ``epochs trained`` (by this trial;
    a Hyperband model carried on resumes from its checkpoint), ``epochs in all`` (of the model),
    ``val_accuracy`` (best epoch) and ``seconds``; best first (ties: earlier trial first)."""
    trials = read_trials(project_dir)
    done = trials[trials.status == "COMPLETED"].drop(columns="status") if len(trials) else trials
    if done.empty:
        raise ValueError(f"no finished trial under {project_dir}: did the search run there?")
    return _best_first(done)


def hyperparameter_columns(table: pd.DataFrame) -> list[str]:
    """The columns of a trials table that hold hyperparameters."""
    return [c for c in table.columns if c not in ("tuner", "trial", "epochs trained", "epochs in all", OBJECTIVE,
                                                   "seconds", "status")]


def distinct_configurations(table: pd.DataFrame) -> int:
    """Configurations tried, each counted once: a Hyperband trial that carries on an earlier one
    tries none anew, and a configuration that several tuners tried (both draw from one seeded
    sequence) is one configuration. For one tuner's count, pass its rows.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`trials_table`'s (or :func:`compare_tuners`') table.

    Returns
    -------
    int
        The number of distinct configurations.
    """
    return len(table[hyperparameter_columns(table)].drop_duplicates())


def _best_first(table: pd.DataFrame) -> pd.DataFrame:
    return table.sort_values(OBJECTIVE, ascending=False, kind="stable").reset_index(drop=True)


# --- Figure and sentence --------------------------------------------------------------------------

def search_progress(table: pd.DataFrame) -> plt.Figure:
    """Best validation accuracy so far against cumulative epochs trained, one line per tuner
    (``table`` from :func:`compare_tuners`); each trial is a marker.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`compare_tuners`' table.

    Returns
    -------
    matplotlib.figure.Figure
        The figure, to pass to :func:`show`.
    """
    fig, ax = plt.subplots(figsize=(7, 3.8))
    markers = iter("os^Dv")
    for tuner, rows in table.groupby("tuner", sort=False):
        rows = rows.sort_values("trial")
        epochs = rows["epochs trained"].cumsum().to_numpy()
        (line,) = ax.step(epochs, rows[OBJECTIVE].cummax().to_numpy(), where="post", label=_("{tuner}: best so far").format(tuner=label(str(tuner))))
        ax.plot(epochs, rows[OBJECTIVE], linestyle="none", marker=next(markers), color=line.get_color(),
                alpha=0.6, label=_("{tuner}: each trial").format(tuner=label(str(tuner))))
    ax.set(xlabel="epochs trained (cumulative)", ylabel="validation accuracy",
           title="Search progress under the same budget")
    ax.legend(fontsize="small", loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    plots.integer_ticks(ax, "x")  # epochs are counted: never a tick at 2.5
    return fig


