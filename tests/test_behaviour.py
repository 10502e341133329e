"""Behavioural checks: templates expand as written, failures are counted against a known scorer."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from course_utils import behaviour, narrative, plots


def test_expand_fills_every_slot_combination_in_a_stable_order():
    assert behaviour.expand("{a} {b}", b=["x", "y"], a=["1", "2"]) == ["1 x", "1 y", "2 x", "2 y"]


def test_default_suite_is_built_from_templates_with_consistent_labels():
    suite = {c.name: c for c in behaviour.default_suite()}
    assert suite["negated positive"].texts[0] == "The movie was not good."
    assert set(suite["negated positive"].labels) == {0} and set(suite["negated negative"].labels) == {1}
    typo = suite["typo in the sentiment word"]
    assert typo.texts[0] == "The movie was good." and typo.variants[0] == "The movie was godo."
    assert all(t != v for t, v in zip(typo.texts, typo.variants))
    names = suite["names swapped"]
    assert "Seagal" in names.texts[0] and "Streep" in names.variants[0]
    assert {c.capability for c in suite.values()} == {"negation", "contrast", "intensifiers", "robustness", "fairness"}


def _word_counter(texts):
    """A bag-of-words scorer: positive iff a positive word appears; blind to 'not' and names."""
    return np.array([0.9 if any(w in t.lower() for w in behaviour.POSITIVE) else 0.1 for t in texts])


def test_run_checks_counts_expectation_and_invariance_failures():
    checks = [
        behaviour.Check("neg", "negation", "expect", ("not good", "not bad"), (0, 1)),
        behaviour.Check("typo", "robustness", "invariant", ("good", "bad"), variants=("godo", "bda")),
    ]
    results = behaviour.run_checks(_word_counter, checks)
    assert results["failed"].tolist() == [True, True, True, False]  # 'not good' -> 0.9; 'godo' flips
    rates = behaviour.failure_rates({"bow": results})
    assert rates.loc["neg", "bow"] == 1.0 and rates.loc["typo", "bow"] == 0.5
    examples = behaviour.failing_examples(results, n=1)
    assert examples["check"].tolist() == ["neg", "typo"]


def test_check_rejects_mismatched_labels():
    with pytest.raises(ValueError, match="2 texts but 1"):
        behaviour.Check("x", "negation", "expect", ("a", "b"), (1,))


def test_behaviour_sentence_names_best_and_worst_model_per_check():
    rates = pd.DataFrame({"dense": [0.9, 0.2], "bigru": [0.3, 0.2]}, index=["negated positive", "names swapped"])
    text = narrative.behaviour(rates, {"negated positive": "negation", "names swapped": "fairness"})
    assert "*negated positive* (negation): `bigru` fails least (30%), `dense` most (90%)." in text
    assert "*names swapped* (fairness): every model fails 20%." in text
    assert "`bigru` fails least (25% of sentences on average) and `dense` most (55%)" in text


def test_failure_heatmap_is_readable():
    plots.use_course_style()
    rates = behaviour.failure_rates({m: behaviour.run_checks(_word_counter) for m in ("dense", "lstm", "bigru")})
    fig = plots.failure_heatmap(rates)
    assert plots.text_problems(fig) == []
    assert fig.axes[0].get_title() == "Behavioural checks: failure rate (%)"


def test_behaviour_sentence_states_ties_as_ties():
    rates = pd.DataFrame({"dense": [1.0, 0.0], "simplernn": [1.0, 0.5], "lstm": [1.0, 0.5], "bigru": [0.67, 0.5]},
                         index=["negated positive", "contrast: good, but bad"])
    text = narrative.behaviour(rates, {"negated positive": "negation", "contrast: good, but bad": "contrast"})
    assert "`bigru` fails least (67%), `dense`, `simplernn` and `lstm` most (100%)." in text
    assert "`dense` fails least (0%), `simplernn`, `lstm` and `bigru` most (50%)." in text


def test_word_order_is_answered_from_the_rates_not_assumed():
    """The claim "only the recurrent models can learn negation and contrast" is checked, not stated."""
    capabilities = {"negated positive": "negation", "contrast: good, but bad": "contrast", "names swapped": "fairness"}
    rates = pd.DataFrame({"dense": [1.0, 0.0, 0.1], "lstm": [1.0, 0.5, 0.0], "bigru": [0.67, 0.5, 0.0]},
                         index=list(capabilities))
    text = narrative.word_order(rates, capabilities)
    assert "- *negated positive*: `dense` fails 100%; `bigru` fails less (67%)." in text
    assert "- *contrast: good, but bad*: `dense` fails 0%; no model that reads in order fails less" in text
    assert "helped on 1 of these 2 checks" in text and "names swapped" not in text
    everything = rates.assign(dense=[1.0, 1.0, 0.0])
    assert "helped on every one of these 2 checks" in narrative.word_order(everything, capabilities)
    assert "helped on none" in narrative.word_order(rates.assign(dense=0.0), capabilities)
    assert "cannot say" in narrative.word_order(rates.drop(columns="dense"), capabilities)


def test_failing_examples_come_most_confidently_wrong_first_per_check():
    results = pd.DataFrame({
        "check": ["a", "a", "a", "b", "b"], "kind": ["expect", "expect", "expect", "invariant", "invariant"],
        "text": ["t1", "t2", "t3", "t4", "t5"], "variant": [None, None, None, "v4", "v5"],
        "expected": [1, 1, 1, None, None], "p": [0.4, 0.05, 0.3, 0.9, 0.6], "p_variant": [None, None, None, 0.2, 0.5],
        "failed": [True, True, False, True, True]})
    examples = behaviour.failing_examples(results, n=2)
    assert list(examples["text"]) == ["t2", "t1", "t4", "t5"]  # |p - 0.5| and |p - p_variant|, largest first
    assert list(behaviour.failing_examples(results, n=1)["text"]) == ["t2", "t4"]
    # the expected verdict in words, not 1.0 / NaN (review L26); a label is kept as it is
    assert list(examples["expected"]) == ["positive", "positive", "—", "—"]
    assert behaviour.expected_labels([0, 1.0, float("nan"), None, "negative"]) == \
        ["negative", "positive", "—", "—", "negative"]


def test_failing_examples_read_in_spanish_with_words_for_the_expected_verdict():
    from course_utils import i18n, localize
    results = pd.DataFrame({"check": ["a", "b"], "kind": ["expect", "invariant"], "text": ["t1", "t2"],
                            "variant": ["", "v2"], "expected": [0, None], "p": [0.9, 0.9], "p_variant": [None, 0.1],
                            "failed": [True, True]})
    i18n.set_edition("es")
    try:
        shown = localize.localized_frame(behaviour.failing_examples(results))
    finally:
        i18n.set_edition(None)
    assert list(shown.iloc[:, 3]) == ["negativa", "—"]
