"""KerasTuner search (course_utils.tuning) and the distributed launcher (course_tools.tune)."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import keras_tuner as kt
import pandas as pd
import pytest

from course_utils import narrative, plots, tuning
from course_tools import tune

ROOT = Path(__file__).resolve().parents[1]
TINY_SPACE = {"learning_rate": [1e-3, 5e-3], "units": [4, 8], "dropout": [0.0, 0.2], "embedding_dim": [8, 16]}
#: A bound on a hang, not a timing: the launcher's runs here take 20-50 s on 2 cores.
HANG_SECONDS = 240


def _oracle_epochs(folder: Path, max_epochs: int, factor: int, iterations: int) -> tuple[int, int]:
    """Drive KerasTuner's own Hyperband oracle (no training): trials and epochs it plans."""
    hp = kt.HyperParameters()
    hp.Choice("units", list(range(1000)))  # large enough never to run out of configurations
    oracle = kt.oracles.HyperbandOracle(objective=kt.Objective("score", "max"), max_epochs=max_epochs,
                                        factor=factor, hyperband_iterations=iterations, seed=0, hyperparameters=hp)
    oracle._set_project_dir(str(folder), "oracle")  # where it saves its state (as a tuner would set it)
    trials, epochs = 0, 0
    while True:
        trial = oracle.create_trial("tuner0")
        if trial.status == "STOPPED":
            return trials, epochs
        values = trial.hyperparameters.values
        epochs += values["tuner/epochs"] - values["tuner/initial_epoch"]
        trials += 1
        oracle.update_trial(trial.trial_id, {"score": float(values["units"])})
        trial.status = "COMPLETED"
        oracle.end_trial(trial)


@pytest.mark.parametrize("max_epochs,factor,iterations", [(3, 3, 1), (2, 2, 1), (9, 3, 1), (4, 2, 2), (1, 3, 1)])
def test_search_budget_is_what_kerastuners_hyperband_trains(tmp_path, max_epochs, factor, iterations):
    budget = tuning.search_budget(max_epochs, factor=factor, iterations=iterations)
    assert (budget.hyperband_trials, budget.hyperband_epochs) == _oracle_epochs(tmp_path, max_epochs, factor, iterations)
    assert budget.random_trials == max(1, budget.hyperband_epochs // max_epochs)
    if budget.hyperband_epochs >= max_epochs:  # random search: never more epochs, at most max_epochs - 1 fewer
        assert budget.hyperband_epochs - max_epochs < budget.random_epochs <= budget.hyperband_epochs


def test_search_budget_worked_example_and_errors():
    budget = tuning.search_budget(3, factor=3)  # the docstring's example
    assert (budget.hyperband_trials, budget.hyperband_epochs, budget.random_trials, budget.random_epochs) == (6, 11, 3, 9)
    with pytest.raises(ValueError, match="factor must be at least 2"):
        tuning.search_budget(3, factor=1)
    with pytest.raises(ValueError, match="max_epochs must be a positive integer, got 0"):
        tuning.search_budget(0)


def test_check_space_names_what_is_wrong():
    assert tuning.check_space({"units": [16, 32], "dropout": [0, 0.5]}) == {"units": [16, 32], "dropout": [0.0, 0.5]}
    with pytest.raises(ValueError, match=r"unknown hyperparameter\(s\) \['layers'\]"):
        tuning.check_space({"layers": [1, 2]})
    with pytest.raises(ValueError, match=r"space\['units'\] must be a non-empty list"):
        tuning.check_space({"units": []})
    with pytest.raises(ValueError, match="repeats a choice"):
        tuning.check_space({"units": [8, 8]})
    with pytest.raises(ValueError, match="both tuned"):
        tuning.RecurrentHyperModel({"units": [8]}, vocab_size=50, maxlen=12, fixed={"units": 4})


def test_hypermodel_builds_the_course_recurrent_model_with_the_chosen_values():
    hp = kt.HyperParameters()
    model = tuning.RecurrentHyperModel(TINY_SPACE, vocab_size=50, maxlen=12, fixed={"head": "pool"}).build(hp)
    names = [layer.name for layer in model.layers]
    assert "max_pool" in names and "pools" in names and "gru_1" in names  # the course's masked GRU, pool head
    assert hp.values == {"learning_rate": 1e-3, "units": 4, "dropout": 0.0, "embedding_dim": 8}
    assert model.get_layer("gru_1").units == 4 and model.get_layer("embedding").mask_zero


def _table() -> pd.DataFrame:
    return pd.DataFrame({"tuner": ["random search"] * 2 + ["Hyperband"] * 3, "trial": ["0", "1", "0000", "0001", "0002"],
                         "units": [8, 16, 8, 16, 32], "epochs trained": [2, 2, 1, 1, 1], "val_accuracy": [0.70, 0.80, 0.60, 0.75, 0.8004],
                         "seconds": [10.0, 12.0, 4.0, 5.0, 6.0]})


def test_comparison_sentence_is_computed_and_calls_ties():
    text = narrative.tuner_comparison(_table())
    assert text.startswith("Random search tried 2 configurations in 2 trials, 4 epochs in all (22 s), and reached a "
                           "best validation accuracy of 0.800; Hyperband tried 3 configurations in 3 trials, 3 epochs")
    assert "tie" in text  # 0.800 and 0.8004 are the same to three decimals
    better = _table().assign(val_accuracy=[0.7, 0.8, 0.6, 0.75, 0.85], units=[8, 16, 8, 16, 16])
    text = narrative.tuner_comparison(better)  # trial 0002 carries on 0001: the same configuration
    assert "Hyperband tried 2 configurations in 3 trials" in text
    assert "Hyperband found the better configuration here, by 5.0 points of validation accuracy" in text


def test_distinct_configurations_counts_a_configuration_both_tuners_tried_once():
    """09's cost table: both tuners draw from one seeded sequence, so Hyperband's first trials
    repeat random search's configurations; the search tried the union (review L27)."""
    table = _table()  # random search: 8, 16; Hyperband: 8, 16, 32
    assert tuning.distinct_configurations(table) == 3
    assert [tuning.distinct_configurations(rows) for _, rows in table.groupby("tuner", sort=False)] == [2, 3]
    assert tuning.distinct_configurations(table.assign(units=[8, 16, 64, 128, 32])) == 5
    assert "the 2 tuners tried 3 configurations" in narrative.grid_cost(
        {"configurations": 432, "folds": 3, "hours": 55.7},
        {"configurations": tuning.distinct_configurations(table), "hours": 0.023})


def test_search_progress_draws_best_so_far_per_tuner():
    fig = tuning.search_progress(_table())
    lines = {line.get_label(): line for line in fig.axes[0].get_lines()}
    best = lines["Hyperband: best so far"]
    assert list(best.get_xdata()) == [1, 2, 3] and list(best.get_ydata()) == [0.60, 0.75, 0.8004]
    assert list(lines["random search: each trial"].get_xdata()) == [2, 4]
    assert plots.text_problems(fig) == []  # nothing overlaps or is clipped (the legend sits outside)
    fig.canvas.draw()
    ticks = fig.axes[0].get_xticks()
    assert len(ticks) and all(float(t).is_integer() for t in ticks)  # epochs are counted: no 2.5


def _toy(n=200):
    return tune.toy_sequences(n, maxlen=12, vocab_size=50, seed=0)


def test_compare_tuners_same_budget_seeded_and_reproducible(tmp_path):
    x, y = _toy()
    hypermodel = tuning.RecurrentHyperModel(TINY_SPACE, vocab_size=50, maxlen=12, seed=3, batch_size=32)
    budget = tuning.SearchBudget(max_epochs=1, factor=3, iterations=1, hyperband_trials=1, hyperband_epochs=1,
                                 random_trials=2)
    lines = []
    first = tuning.compare_tuners(hypermodel, x, y, budget=budget, directory=tmp_path / "a", log=lines.append)
    again = tuning.compare_tuners(hypermodel, x, y, budget=budget, directory=tmp_path / "b", tuners=("random",))
    assert list(first.columns) == ["tuner", "trial", *TINY_SPACE, "epochs trained", "epochs in all",
                                   "val_accuracy", "seconds"]
    assert first.tuner.value_counts().to_dict() == {"random search": 2, "Hyperband": 1}
    assert first["epochs trained"].sum() == budget.random_epochs + budget.hyperband_epochs
    assert first.val_accuracy.is_monotonic_decreasing
    assert len(lines) == 3 and all(re.fullmatch(r"trial \d+ done: learning_rate=\S+ units=\d+ dropout=\S+ "
                                                r"embedding_dim=\d+; 1 epoch\(s\), val_accuracy [01]\.\d{3}, [\d.]+ s", line)
                                   for line in lines), lines
    assert (tmp_path / "a" / "random" / "trial_0" / "trial.json").exists()
    random_rows = first[first.tuner == "random search"].reset_index(drop=True)
    pd.testing.assert_frame_equal(random_rows.drop(columns="seconds"), again.drop(columns="seconds"))


# --- The distributed launcher ---------------------------------------------------------------------

def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def _launcher(tmp_path, *extra) -> list[str]:
    return [sys.executable, "-m", "course_tools.tune", "--workers", "2", "--toy", "300",
            "--max-epochs", "2", "--factor", "2", "--output-dir", str(tmp_path), "--timeout", "200", *extra]


def _env():
    return {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}


def _pids(output: str) -> dict[str, int]:
    return {name: int(pid) for name, pid in re.findall(r"^tune: started (\S+) \(pid (\d+)\)$", output, re.M)}


def _kill_leftovers(pids) -> list[int]:
    left = [pid for pid in pids if _alive(pid)]
    for pid in left:
        os.kill(pid, signal.SIGKILL)
    return left


def test_chief_and_two_workers_run_every_trial_once_and_leave_nothing_behind(tmp_path):
    run = subprocess.run(_launcher(tmp_path), capture_output=True, text=True, env=_env(), timeout=HANG_SECONDS)
    out = run.stdout
    pids = _pids(out)
    assert sorted(pids) == ["chief", "tuner0", "tuner1"], out[-3000:]
    assert _kill_leftovers(pids.values()) == [], "the launcher left processes behind"
    done = re.findall(r"^\[(tuner\d)\] trial (\d+) done:", out, re.M)
    ids = [trial for _, trial in done]
    assert len(ids) == len(set(ids)), f"a trial ran twice: {done}"
    assert run.returncode == 0, out[-3000:] + run.stderr[-2000:]
    trials = tuning.read_trials(tune.project_dir(tmp_path, "hyperband"))
    assert set(trials.status) == {"COMPLETED"} and sorted(trials.trial) == sorted(ids)
    assert len(ids) == tuning.search_budget(2, factor=2).hyperband_trials
    table = pd.read_csv(tune.project_dir(tmp_path, "hyperband") / "trials.csv", dtype={"trial": str})
    best = table.iloc[0]
    assert best.val_accuracy == table.val_accuracy.max()
    assert f"tune: best trial {best.trial}:" in out and f"val_accuracy {best.val_accuracy:.3f}" in out


def test_a_worker_killed_mid_run_stops_the_search_and_every_process(tmp_path):
    launcher = subprocess.Popen(_launcher(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                env=_env())
    lines: list[str] = []
    first_trial = threading.Event()

    def read():
        for line in launcher.stdout:
            lines.append(line)
            if re.match(r"\[tuner\d\] trial \d+ done:", line):
                first_trial.set()

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    pids: dict[str, int] = {}
    try:
        assert first_trial.wait(HANG_SECONDS), "".join(lines)[-3000:]
        pids = _pids("".join(lines))
        os.kill(pids["tuner1"], signal.SIGKILL)  # mid-trial, or waiting for one: its trial never ends
        launcher.wait(timeout=HANG_SECONDS)  # hangs if the chief waits for the dead worker's trial
        reader.join(timeout=10)
        out = "".join(lines)
        assert launcher.returncode == 1, out[-3000:]
        assert f"tune: tuner1 (pid {pids['tuner1']}) was killed by SIGKILL; stopping every process." in out
        assert "tune: best trial" in out or "tune: no trial finished." in out
    finally:
        if launcher.poll() is None:
            launcher.kill()
        left = _kill_leftovers(pids.values())
    assert left == [], f"the launcher left {left} running"


@pytest.mark.parametrize("sig,code,said", [(signal.SIGINT, 130, "KeyboardInterrupt"), (signal.SIGTERM, 130, "SIGTERM")])
def test_ctrl_c_or_sigterm_to_the_launcher_stops_every_child(tmp_path, sig, code, said):
    launcher = subprocess.Popen(_launcher(tmp_path), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                env=_env())
    lines: list[str] = []
    pids: dict[str, int] = {}
    try:
        for line in launcher.stdout:
            lines.append(line)
            if line.startswith("tune: started tuner1"):
                break
        pids = _pids("".join(lines))
        assert sorted(pids) == ["chief", "tuner0", "tuner1"], "".join(lines)
        launcher.send_signal(sig)
        rest, _ = launcher.communicate(timeout=HANG_SECONDS)
        assert launcher.returncode == code, "".join(lines) + rest
        assert f"tune: {said}; stopping every process." in rest
    finally:
        if launcher.poll() is None:
            launcher.kill()
        left = _kill_leftovers(pids.values())
    assert left == [], f"the launcher left {left} running"


def test_read_trials_reports_a_trial_file_cut_short_instead_of_failing(tmp_path):
    (tmp_path / "trial_07").mkdir()
    (tmp_path / "trial_07" / "trial.json").write_text('{"trial_id": "07", "hyperpar')
    trials = tuning.read_trials(tmp_path)
    assert trials.to_dict("records") == [{"trial": "07", "status": "UNREADABLE"}]
    for folder in (tmp_path, tmp_path / "empty"):
        with pytest.raises(ValueError, match="no finished trial"):
            tuning.trials_table(folder)
    said = []
    assert tune.report(tmp_path, out=said.append) == 0
    assert said == ["tune: trial 07 did not finish (status UNREADABLE).", "tune: no trial finished."]
