"""Metrics, the metrics record schema, and the misclassified-review helper."""
from __future__ import annotations

import json

import numpy as np
import pytest

from course_utils import evaluation
from course_utils.evaluation import MetricsRecord

Y = np.array([1, 1, 1, 0, 0, 0, 0, 1])
S = np.array([0.9, 0.8, 0.3, 0.2, 0.6, 0.1, 0.4, 0.7])  # TP=3, FN=1, FP=1, TN=3


def test_metrics_match_hand_computed_values():
    m = evaluation.classification_metrics(Y, S)
    assert m["accuracy"] == pytest.approx(6 / 8)
    assert m["precision"] == pytest.approx(3 / 4)
    assert m["recall"] == pytest.approx(3 / 4)
    assert m["f1"] == pytest.approx(3 / 4)
    assert m["cohen_kappa"] == pytest.approx(0.5)        # (0.75 - 0.5) / (1 - 0.5)
    assert m["roc_auc"] == pytest.approx(14 / 16)        # pairs ranked correctly


# Asymmetric: TP=4, FN=1, FP=2, TN=3 (10 reviews), so precision != recall and kappa != MCC.
YA = np.array([1, 1, 1, 1, 1, 0, 0, 0, 0, 0])
SA = np.array([0.9, 0.8, 0.7, 0.6, 0.2, 0.65, 0.55, 0.3, 0.1, 0.4])


def test_asymmetric_confusion_tells_precision_from_recall():
    m = evaluation.classification_metrics(YA, SA)
    assert m["accuracy"] == pytest.approx(7 / 10)
    assert m["precision"] == pytest.approx(4 / 6)        # TP / (TP + FP)
    assert m["recall"] == pytest.approx(4 / 5)           # TP / (TP + FN)
    assert m["f1"] == pytest.approx(2 * 4 / (2 * 4 + 2 + 1))
    # kappa: p_o = 0.7; p_e = P(pred 1) P(true 1) + P(pred 0) P(true 0) = 0.6*0.5 + 0.4*0.5 = 0.5
    assert m["cohen_kappa"] == pytest.approx((0.7 - 0.5) / (1 - 0.5))
    # AUC, by hand: of the 25 (positive, negative) pairs, 0.9, 0.8 and 0.7 beat all 5 negatives (15),
    # 0.6 beats 4 (not 0.65), 0.2 beats 1 (0.1): 20 of 25
    assert m["roc_auc"] == pytest.approx(20 / 25)


def test_threshold_and_validation():
    assert evaluation.classification_metrics(Y, S, threshold=0.65)["accuracy"] == pytest.approx(7 / 8)
    with pytest.raises(ValueError, match="8 values but y_score has 3"):
        evaluation.classification_metrics(Y, S[:3])
    with pytest.raises(ValueError, match=r"^y_true must hold only 0 and 1 labels\.$"):
        evaluation.classification_metrics(Y + 1, S)


def test_majority_baseline():
    scores = evaluation.majority_baseline_scores([0, 1, 1], 4)
    assert scores.tolist() == [1.0] * 4
    m = evaluation.classification_metrics(Y, evaluation.majority_baseline_scores(Y, len(Y)))
    assert m["accuracy"] == 0.5 and m["cohen_kappa"] == 0.0 and m["roc_auc"] == 0.5


def test_record_round_trip_with_scores(tmp_path):
    rec = MetricsRecord.from_scores("lstm", "smoke", Y, S, params=123, epochs=2, train_seconds=1.5)
    path = evaluation.save_record(rec, tmp_path, Y, S)
    assert path == tmp_path / "metrics" / "lstm.json"
    table = evaluation.load_records(tmp_path)
    assert table.loc["lstm", "accuracy"] == pytest.approx(0.75) and table.loc["lstm", "params"] == 123
    y, s = evaluation.load_scores(tmp_path, "lstm")
    assert np.array_equal(y, Y) and np.allclose(s, S)
    assert evaluation.load_scores(tmp_path, "gru") is None


def test_invalid_record_names_the_file_and_fields(tmp_path):
    (tmp_path / "metrics").mkdir()
    (tmp_path / "metrics" / "broken.json").write_text(json.dumps({"model": "x", "accuracy": 1}))
    with pytest.raises(ValueError, match=r"broken.json is not a valid metrics record.*'cohen_kappa'"):
        evaluation.load_records(tmp_path)


def test_empty_records_folder_gives_an_empty_table(tmp_path):
    table = evaluation.load_records(tmp_path)
    assert table.empty and "accuracy" in table.columns


def test_misclassified_orders_by_confidence():
    frame = evaluation.misclassified([f"t{i}" for i in range(8)], Y, S, n=5)
    assert frame.text.tolist() == ["t2", "t4"]  # 0.3 is wrong by 0.2, 0.6 only by 0.1
    assert frame.index.tolist() == [2, 4]


def test_records_up_to_a_notebook_ignore_later_notebooks(tmp_path):
    for model, nb in [("dense", "03_dense_baseline"), ("lstm", "05_lstm"), ("bigru", "07_bigru"),
                      ("mine", "")]:
        rec = MetricsRecord.from_scores(model, "smoke", Y, S, params=1, epochs=1, train_seconds=1.0, notebook=nb)
        evaluation.save_record(rec, tmp_path, Y, S)
    assert list(evaluation.load_records(tmp_path, up_to="05_lstm").index) == ["dense", "lstm"]
    assert list(evaluation.load_records(tmp_path, up_to="07_bigru").index) == ["bigru", "dense", "lstm"]
    assert sorted(evaluation.load_records(tmp_path).index) == ["bigru", "dense", "lstm", "mine"]
    with pytest.raises(ValueError, match="numbered notebook"):
        evaluation.load_records(tmp_path, up_to="lstm")


def test_missing_models_come_from_the_committed_run_labelled(tmp_path):
    rec = MetricsRecord.from_scores("tfidf_logreg", "smoke", Y, S, params=5, epochs=1, train_seconds=0.1)
    evaluation.save_record(rec, tmp_path / "run", Y, S)
    committed = [dict(json.loads(json.dumps(evaluation.asdict(MetricsRecord.from_scores(
        name, "full", Y, S, params=9, epochs=3, train_seconds=60.0))))) for name in ("tfidf_logreg", "bigru")]
    (tmp_path / "reference.json").write_text(json.dumps(committed))
    table = evaluation.with_reference(evaluation.load_records(tmp_path / "run"), tmp_path / "reference.json")
    assert table["source"].to_dict() == {"tfidf_logreg": "this run", "bigru": "committed full run"}
    assert table.loc["tfidf_logreg", "profile"] == "smoke" and table.loc["bigru", "profile"] == "full"


def test_misclassified_defaults_threshold_edge_columns_and_ties():
    y = np.array([0] * 8 + [1])
    scores = [0.9, 0.9, 0.8, 0.7, 0.6, 0.55, 0.5, 0.1, 0.5]  # rows 0-6 wrong (0.5 counts as positive)
    frame = evaluation.misclassified([f"t{i}" for i in range(9)], y, scores)
    assert frame.index.tolist() == [0, 1, 2, 3, 4]  # n=5 by default; ties keep their order
    assert frame.columns.tolist() == ["label", "score", "text"] and frame.score.dtype == float
    edge = evaluation.misclassified(list("abcdefghi"), y, scores, n=10)
    assert 6 in edge.index and 8 not in edge.index, "a score equal to the threshold is a positive"
    ints = evaluation.misclassified(["a", "b"], [0, 1], [1, 0], threshold=0.5)
    assert ints.score.tolist() == [1.0, 0.0] and ints.score.dtype == float


def test_reference_records_are_every_record_of_a_run_in_model_order(tmp_path):
    for name, params in (("lstm", 7), ("dense", 3)):
        rec = MetricsRecord.from_scores(name, "full", Y, S, params=params, epochs=2, train_seconds=1.5)
        evaluation.save_record(rec, tmp_path / "run", Y, S)
    target = evaluation.write_reference_records(tmp_path / "run", tmp_path / "out" / "reference.json")
    assert target == tmp_path / "out" / "reference.json"
    rows = json.loads(target.read_text(encoding="utf-8"))
    assert [r["model"] for r in rows] == ["dense", "lstm"] and [r["params"] for r in rows] == [3, 7]
    assert rows[0]["accuracy"] == 0.75 and rows[0]["profile"] == "full"
    table = evaluation.with_reference(evaluation.load_records(tmp_path / "empty"), target)
    assert sorted(table.index) == ["dense", "lstm"] and set(table["source"]) == {"committed full run"}
    with pytest.raises(ValueError, match="holds no metrics records: run the notebooks first"):
        evaluation.write_reference_records(tmp_path / "empty", tmp_path / "never.json")
    assert not (tmp_path / "never.json").exists()


def test_majority_baseline_predicts_the_commoner_class_and_positive_on_a_tie():
    assert evaluation.majority_baseline_scores([1, 1, 0], 3).tolist() == [1.0, 1.0, 1.0]
    assert evaluation.majority_baseline_scores([0, 0, 1], 2).tolist() == [0.0, 0.0]
    assert evaluation.majority_baseline_scores([0, 1], 2).tolist() == [1.0, 1.0]


def test_without_a_path_the_packaged_committed_records_fill_in(tmp_path):
    from course_utils.results import RECORDS
    packaged = {r["model"] for r in json.loads(RECORDS.read_text(encoding="utf-8"))}
    table = evaluation.with_reference(evaluation.load_records(tmp_path))
    assert set(table.index) == packaged and {"lstm", "gru", "bigru"} <= packaged
    (tmp_path / "none.json").write_text("[]")
    empty = evaluation.with_reference(evaluation.load_records(tmp_path), tmp_path / "none.json")
    assert empty.empty and "source" in empty.columns


def test_scores_are_saved_only_with_both_labels_and_scores(tmp_path):
    rec = MetricsRecord.from_scores("lstm", "smoke", Y, S, params=1, epochs=1, train_seconds=1.0)
    evaluation.save_record(rec, tmp_path, Y, None)
    evaluation.save_record(rec, tmp_path, None, S)
    assert sorted(p.name for p in (tmp_path / "metrics").iterdir()) == ["lstm.json"]
    evaluation.save_record(rec, tmp_path, Y, S)
    with np.load(tmp_path / "metrics" / "lstm.scores.npz") as saved:
        assert saved["y_true"].tolist() == Y.tolist() and saved["y_score"].tolist() == S.tolist()


def test_records_from_scores_hold_plain_numbers_and_incomplete_ones_are_named():
    rec = MetricsRecord.from_scores("gru", "full", Y, S, params=np.int64(12), epochs=np.int32(3),
                                    train_seconds=np.float32(2.5))
    assert (type(rec.params), type(rec.epochs), type(rec.train_seconds)) == (int, int, float)
    assert (rec.params, rec.epochs, rec.train_seconds) == (12, 3, 2.5)
    data = json.loads(json.dumps(evaluation.asdict(rec)))
    del data["epochs"], data["accuracy"]
    with pytest.raises(ValueError, match=r"^metrics record lacks the fields \['accuracy', 'epochs'\]\.$"):
        MetricsRecord.from_dict(data)


def test_equally_confident_mistakes_keep_their_order():
    y = np.zeros(60, dtype=int)
    scores = np.array([0.9, 0.7, 0.6] * 20)  # three levels of confidence: long runs of ties
    frame = evaluation.misclassified([f"t{i}" for i in range(60)], y, scores, n=60)
    assert frame.index.tolist() == sorted(range(60), key=lambda i: (i % 3, i))


def test_a_score_on_the_threshold_is_a_positive_prediction():
    m = evaluation.classification_metrics([1, 0], [0.5, 0.49])
    assert m["accuracy"] == 1.0 and m["precision"] == 1.0
    assert evaluation.classification_metrics([1, 0], [0.7, 0.7], threshold=0.7)["recall"] == 1.0


def test_undefined_ratios_are_zero_silently_and_one_class_has_no_kappa_or_auc():
    import warnings
    with warnings.catch_warnings():
        warnings.simplefilter("error")                  # sklearn's UndefinedMetricWarning would fail here
        only_negatives = evaluation.classification_metrics([0, 0, 0], [0.7, 0.2, 0.1])
        no_positive_predicted = evaluation.classification_metrics([1, 0], [0.2, 0.1])
        all_right_negatives = evaluation.classification_metrics([0, 0], [0.1, 0.2])
    # precision 0/1, recall 0/0 -> 0, F1 of two zeros -> 0; one class: kappa and AUC undefined
    assert only_negatives["accuracy"] == pytest.approx(2 / 3)
    assert [only_negatives[k] for k in ("precision", "recall", "f1")] == [0.0, 0.0, 0.0]
    assert np.isnan(only_negatives["cohen_kappa"]) and np.isnan(only_negatives["roc_auc"])
    # nothing predicted positive: precision 0/0 -> 0, recall 0/1, F1 0; both classes: kappa 0, AUC 1
    assert [no_positive_predicted[k] for k in ("precision", "recall", "f1")] == [0.0, 0.0, 0.0]
    assert no_positive_predicted["cohen_kappa"] == 0.0 and no_positive_predicted["roc_auc"] == 1.0
    # no positive anywhere: precision, recall and F1 are all 0/0 -> 0
    assert [all_right_negatives[k] for k in ("accuracy", "precision", "recall", "f1")] == [1.0, 0.0, 0.0, 0.0]


def test_predict_scores_asks_quietly_in_batches_of_256_and_returns_flat_floats():
    calls = []

    class Model:
        def predict(self, x, **kwargs):
            calls.append(kwargs)
            return np.array([[1], [0], [1]])            # integers, in a column
    scores = evaluation.predict_scores(Model(), np.zeros((3, 4)))
    assert scores.dtype == np.float64 and scores.tolist() == [1.0, 0.0, 1.0]
    assert calls == [{"batch_size": 256, "verbose": 0}]
    evaluation.predict_scores(Model(), np.zeros((3, 4)), batch_size=2)
    assert calls[-1] == {"batch_size": 2, "verbose": 0}
