"""Notebook 09 run alone shows the committed run's behavioural checks, labelled as such."""
from __future__ import annotations

import numpy as np
import pandas as pd

from course_utils import behaviour, behaviour_record, i18n, narrative


def _scorer(texts):
    """A stand-in model: positive when it sees "good", "great" or "not bad"."""
    return np.array([0.9 if any(w in t.lower() for w in ("good", "great", "not bad")) else 0.1 for t in texts])


def test_a_record_round_trips_through_its_file(tmp_path):
    checks = behaviour.default_suite()
    checked = {"dense": behaviour.run_checks(_scorer, checks), "gru": behaviour.run_checks(lambda t: 1 - _scorer(t), checks)}
    record = behaviour_record.from_checks(checked, checks, profile="full")
    path = behaviour_record.save(record, tmp_path / "behaviour_checks.json")
    loaded = behaviour_record.load(path)
    assert loaded.source == "committed full run" and loaded.profile == "full"
    assert loaded.models == ["dense", "gru"]
    pd.testing.assert_frame_equal(loaded.rates, record.rates, check_names=False)
    assert loaded.capabilities == {c.name: c.capability for c in checks}
    for model in ("dense", "gru"):
        expected = record.examples[model][list(behaviour_record.EXAMPLE_COLUMNS)].reset_index(drop=True)
        pd.testing.assert_frame_equal(loaded.examples[model], expected, check_dtype=False)
    # the sentences 09 writes read the same from the record as from this run's checks
    assert narrative.behaviour(loaded.rates, loaded.capabilities) == narrative.behaviour(record.rates, record.capabilities)


def test_without_a_trained_model_the_committed_record_is_shown_and_says_whose_it_is(tmp_path):
    checks = behaviour.default_suite()
    committed = behaviour_record.save(
        behaviour_record.from_checks({"bigru": behaviour.run_checks(_scorer, checks)}, checks, profile="full"),
        tmp_path / "committed.json")
    mine = behaviour_record.for_notebook({"dense": behaviour.run_checks(_scorer, checks)}, checks, profile="smoke",
                                         committed=committed)
    assert mine.source == "this run" and mine.models == ["dense"] and behaviour_record.notice(mine) == ""
    alone = behaviour_record.for_notebook({}, checks, committed=committed)
    assert alone.source == "committed full run" and alone.models == ["bigru"]
    assert behaviour_record.notice(alone).startswith("No model of notebooks 03–07 is trained in this output folder, "
                                                     "so these are the behavioural checks of the **committed full "
                                                     "run** (full profile, models `bigru`)")
    assert behaviour_record.heatmap_title(mine) is None
    from course_utils import plots
    fig = plots.failure_heatmap(alone.rates, title=behaviour_record.heatmap_title(alone))
    assert fig.axes[0].get_title() == "Behavioural checks of the committed full run: failure rate (%)"
    assert behaviour_record.for_notebook({}, checks, committed=tmp_path / "none.json") is None
    assert "no committed behavioural checks" in behaviour_record.notice(None)


def test_the_notices_are_spanish_in_the_spanish_edition():
    i18n.set_edition("es")
    try:
        assert behaviour_record.notice(None).startswith("No hay ningún modelo entrenado")
    finally:
        i18n.set_edition(None)
