"""Computed prose: every number in a sentence comes from the result it describes."""
from __future__ import annotations

from types import SimpleNamespace

import pandas as pd
import pytest

from course_utils import config, narrative

RECORDS = pd.DataFrame({"accuracy": [0.908, 0.881, 0.874, 0.5]},
                       index=pd.Index(["tfidf_logreg", "lstm", "dense", "majority"], name="model"))
SPREAD = pd.DataFrame({"model": ["lstm", "dense"], "metric": ["accuracy", "accuracy"], "sd": [0.003, 0.004]})


def test_compare_models_states_the_difference_and_the_noise():
    text = narrative.compare_models(RECORDS, "lstm", ["dense"], spread=SPREAD)
    assert text == ("`lstm` reaches accuracy 0.881, 0.7 points above `dense` (0.874), within the "
                    "seed-to-seed noise (2 × combined sd = 1.0 points).")
    wider = narrative.compare_models(RECORDS, "tfidf_logreg", ["dense"])
    assert "3.4 points above `dense` (0.874)." in wider
    assert narrative.compare_models(RECORDS, "lstm", ["tfidf_logreg"]).startswith(
        "`lstm` reaches accuracy 0.881, 2.7 points below")


def test_compare_models_names_the_model_once_for_several_others():
    """One sentence, the model and its score once (review L36: «`lstm` alcanza … `lstm` alcanza …»)."""
    text = narrative.compare_models(RECORDS, "lstm", ["majority", "dense", "tfidf_logreg"])
    assert text == ("`lstm` reaches accuracy 0.881, 38.1 points above `majority` (0.500); 0.7 points above "
                    "`dense` (0.874); and 2.7 points below `tfidf_logreg` (0.908).")
    assert text.count("`lstm`") == 1 and text.count("reaches") == 1
    noisy = narrative.compare_models(RECORDS, "lstm", ["dense", "dense"], spread=SPREAD)
    assert noisy.count("reaches") == 1 and noisy.count("within the seed-to-seed noise") == 2


def test_neighbours_moved_is_read_from_the_table_beside_it():
    """08's sentence on fine-tuning is computed from the neighbours table (review L28)."""
    table = pd.DataFrame({("boring", "before"): ["awfully", "pretty", "funny"],
                          ("boring", "after"): ["awful", "awfully", "bored"],
                          ("waste", "before"): ["wastes", "toxic", "water"], ("waste", "after"): ["water", "wastes", "toxic"]})
    assert narrative.neighbours_moved(table) == ("Fine-tuning moved the neighbourhoods: *boring* trades *pretty*, "
                                                 "*funny* for *awful*, *bored*; *waste* keeps all 3 of its neighbours.")
    assert narrative.neighbours_moved(pd.DataFrame()) == ""


def test_ranking_orders_models_and_places_the_reference():
    text = narrative.ranking(RECORDS)
    assert text.startswith("In this table: `tfidf_logreg` 0.908 > `lstm` 0.881 > `dense` 0.874.")
    assert "`lstm`, is 2.7 points below TF-IDF" in text


def test_sensitivity_names_the_peak_window_and_the_far_effect():
    curve = pd.Series({0: 0.10, 16: 0.20, 32: 0.05, 48: 0.02})
    text = narrative.sensitivity(curve, "rnn")
    assert "(mean |Δp| = 0.200) when the tokens 16–32 before the end" in text
    assert "32 or more tokens back, removing words moves it 18% as much" in text


@pytest.mark.parametrize("raw,score", [("pure genius... I give it 9.5/10!", 9.5), ("3 out of 10", 3.0),
                                        ("no score here", None), ("rated 10/10, then 2/10", 2.0)])
def test_stated_score(raw, score):
    assert narrative.stated_score(raw) == score


def test_label_doubts_points_at_reviews_that_contradict_their_label():
    frame = pd.DataFrame({"label": [0, 1, 0], "stated score": [9.5, 8.0, None]}, index=[12130, 7, 3])
    assert narrative.label_doubts(frame) == (
        "1 of these 3 reviews contradicts its own label (review 12130 says 9.5/10 but is labelled "
        "negative): the dataset is wrong there, and no model can be right about it.")
    frame.loc[7, "stated score"] = 2.0  # a positive review that gives 2/10
    assert narrative.label_doubts(frame) == (
        "2 of these 3 reviews contradict their own labels (review 12130 says 9.5/10 but is labelled "
        "negative, review 7 says 2/10 but is labelled positive): the dataset is wrong there, and no "
        "model can be right about them.")


def test_verdicts_marks_wrong_answers():
    table = pd.DataFrame({"review": ["not bad at all", "awful"], "p(positive)": [0.08, 0.1],
                          "verdict": ["negative", "negative"]})
    text = narrative.verdicts(table, [1, 0], "lstm")
    assert text.startswith("`lstm` gets 1 of 2 right: “not bad at all” → p = 0.08, **wrong**")


def test_grid_cost_reads_the_table_it_describes():
    text = narrative.grid_cost({"configurations": 432, "folds": 3, "hours": 56.2},
                               {"configurations": 6, "hours": 0.014})
    assert text == ("A full grid of 432 configurations × 3 folds would take about 56 hours here; "
                    "the 2 tuners tried 6 configurations in about 1 minute, on a subset.")
    assert "the tuner tried 6 configurations in under a minute" in narrative.grid_cost(
        {"configurations": 432, "folds": 3, "hours": 56.2}, {"configurations": 6, "hours": 0.001}, tuners=1)
    assert "in about 3 minutes" in narrative.grid_cost(
        {"configurations": 432, "folds": 3, "hours": 56.2}, {"configurations": 6, "hours": 0.05}, tuners=1)


def test_smoke_runs_say_they_check_wiring_only():
    smoke, full = config.get_profile("smoke"), config.get_profile("full")
    assert "check that the code runs" in narrative.smoke_notice(smoke)
    assert narrative.smoke_notice(full) == "" and narrative.caveat(full) == ""
    assert "wiring only" in narrative.caveat(smoke)


def test_the_smoke_banner_states_the_most_epochs_any_notebook_trains():
    smoke = config.get_profile("smoke")
    assert smoke.epochs == 1 and smoke.dense_epochs == 3  # 03's Dense trains more than the rest
    assert "at most 3 epochs" in narrative.smoke_notice(smoke)
    assert "at most 5 epochs" in narrative.smoke_notice(smoke.replace(epochs=5))


def _trained(history, best_epoch):
    return SimpleNamespace(history=history, best_epoch=best_epoch)


def test_learning_curve_reads_the_history_and_the_kept_epoch():
    history = {"accuracy": [0.70, 0.85, 0.93], "val_accuracy": [0.80, 0.86, 0.85], "val_loss": [0.5, 0.35, 0.4]}
    text = narrative.learning_curve(_trained(history, 2), "dense")
    assert "from 0.700 to 0.930 over 3 epochs" in text and "lowest after epoch 2 (validation accuracy 0.860)" in text
    assert "8.0 points above validation accuracy" in text


def test_learning_curve_names_the_epoch_training_kept_not_its_own_guess():
    # epoch 3 lowered the loss by less than early stopping's min_delta, so epoch 2 was kept
    history = {"accuracy": [0.70, 0.85, 0.93], "val_accuracy": [0.80, 0.86, 0.87], "val_loss": [0.5, 0.35, 0.3495]}
    text = narrative.learning_curve(_trained(history, 2), "m")
    assert "the weights kept are those of epoch 2 (validation accuracy 0.860)" in text and "lowest" not in text
    assert "lowest after epoch 3 (validation accuracy 0.870)" in narrative.learning_curve(_trained(history, 3), "m")
    with pytest.raises(ValueError, match="kept epoch 4 is not among the 3 epochs"):
        narrative.learning_curve(_trained(history, 4), "m")


def test_precision_recall_and_sources():
    records = pd.DataFrame({"precision": [0.95, 0.85], "recall": [0.75, 0.86],
                            "source": ["this run", "committed full run"]}, index=["learned", "bigru"])
    assert narrative.precision_recall(records, ["learned", "bigru"]) == (
        "`learned` (precision 0.950, recall 0.750) calls too few reviews positive (recall below precision); "
        "`bigru` (precision 0.850, recall 0.860) is balanced between the classes.")
    assert "1 of 2 rows come from the **committed full-profile run**" in narrative.sources(records)
    assert narrative.sources(records.iloc[:1]) == ""


# --- Thresholds at their edges -------------------------------------------------------------

@pytest.mark.parametrize("stated, label, doubtful", [(7.0, 0, True), (6.9, 0, False), (4.0, 1, True), (4.1, 1, False)])
def test_label_doubts_at_the_edges_of_a_contradicting_score(stated, label, doubtful):
    text = narrative.label_doubts(pd.DataFrame({"label": [label], "stated score": [stated]}, index=[5]))
    assert text.startswith("1 of these 1 reviews contradicts") is doubtful
    assert text.startswith("None of these") is (not doubtful)


@pytest.mark.parametrize("gap, memorises", [(0.0201, True), (0.0199, False)])
def test_learning_curve_calls_memorising_only_past_two_points(gap, memorises):
    history = {"accuracy": [0.6, 0.8 + gap], "val_accuracy": [0.7, 0.8], "val_loss": [0.5, 0.4]}
    assert ("started to memorise" in narrative.learning_curve(_trained(history, 2), "m")) is memorises


@pytest.mark.parametrize("recall, lean", [(0.8799, "calls too few"), (0.8801, "is balanced"),
                                          (0.9201, "calls too many"), (0.9199, "is balanced")])
def test_precision_recall_leans_only_past_two_points(recall, lean):
    records = pd.DataFrame({"precision": [0.9], "recall": [recall]}, index=["m"])
    assert lean in narrative.precision_recall(records, ["m"])


# --- Never across profiles -------------------------------------------------------------------

SMOKE_ALONE = pd.DataFrame(
    {"accuracy": [0.864, 0.903, 0.892, 0.5], "source": ["this run", "committed full run", "committed full run",
                                                       "committed full run"],
     "profile": ["smoke", "full", "full", "full"]},
    index=pd.Index(["tfidf_logreg", "bigru", "gru", "majority"], name="model"))


def test_ranking_never_ranks_a_committed_row_against_this_runs():
    text = narrative.ranking(SMOKE_ALONE)
    assert "`tfidf_logreg` 0.864 > `bigru`" not in text and "points above TF-IDF" not in text
    assert text.startswith("This run (smoke profile): `tfidf_logreg` 0.864.")
    assert "The committed full run: `bigru` 0.903 > `gru` 0.892." in text
    assert "ranked apart" in text


def test_ranking_compares_the_reference_within_its_own_run():
    same = SMOKE_ALONE.assign(source="this run", profile="full")
    assert "`bigru`, is 3.9 points above TF-IDF + logistic regression." in narrative.ranking(same)


def test_compare_models_refuses_rows_of_other_profiles_and_names_committed_ones():
    text = narrative.compare_models(SMOKE_ALONE, "bigru", ["gru", "tfidf_logreg"], profile=config.get_profile("smoke"))
    assert text.startswith("In the committed full run, `bigru` reaches accuracy 0.903, 1.1 points above `gru`")
    assert ("`bigru` and `tfidf_logreg` are not compared: `bigru` comes from the committed full run and "
            "`tfidf_logreg` from this run (smoke profile), trained on other data.") in text
    assert "smoke run" not in text  # the caveat is about this run; these are committed numbers
    assert "points above `tfidf_logreg`" not in text and "points below `tfidf_logreg`" not in text


def test_the_seed_tables_this_run_column_holds_only_rows_this_run_trained_in_its_profile():
    from course_utils import results
    spread = pd.DataFrame({"model": ["bigru", "tfidf_logreg", "gru"], "metric": ["accuracy"] * 3, "runs": [3, 1, 3],
                           "mean": [0.9, 0.908, 0.886], "sd": [0.002, float("nan"), 0.005], "min": [0.899, 0.908, 0.881],
                           "max": [0.903, 0.908, 0.892]})
    table = results.seed_table(spread, SMOKE_ALONE)
    assert table["this run"].isna().all()  # committed rows, and a smoke row: none belongs there
    full_here = SMOKE_ALONE.assign(profile=["full"] * 4).copy()
    full_here.loc["gru", "source"] = "this run"
    table = results.seed_table(spread, full_here)
    assert table.loc["gru", "this run"] == 0.892 and table.loc["tfidf_logreg", "this run"] == 0.864
    assert pd.isna(table.loc["bigru", "this run"])


def test_verdicts_compared_names_the_model_that_gets_more_right():
    """07 once said "`bigru` 0 of 2, `gru` 1 of 2. `bigru` reads them best here"."""
    bigru = pd.DataFrame({"verdict": ["negative", "positive"]})
    gru = pd.DataFrame({"verdict": ["positive", "positive"]})
    text = narrative.verdicts_compared({"bigru": bigru, "gru": gru}, [1, 0])
    assert text == "On these reviews: `bigru` 0 of 2, `gru` 1 of 2. `gru` reads them best here."
    assert "Neither model reads them better" in narrative.verdicts_compared({"a": gru, "b": gru}, [1, 0])
    assert narrative.verdicts_compared({"bigru": bigru}, [1, 0]) == ""


@pytest.fixture
def spanish():
    from course_utils import i18n
    i18n.set_edition("es")
    yield
    i18n.set_edition(None)


def test_what_code_cells_used_to_print_is_computed_prose_in_both_editions(spanish):
    from types import SimpleNamespace
    import numpy as np
    assert narrative.vocabulary(["<pad>", "<oov>", "the"] + ["w"] * 19997, first=3) == \
        "El vocabulario tiene 20\u00a0000 entradas; las primeras: `<pad>`, `<oov>`, `the`."
    assert narrative.lstm_parameters(64, 50, 29440) == \
        "Capa LSTM: 4 bloques de pesos (3 compuertas y el contenido candidato) × (u·(d+u) + u) = 4 × (64·(50+64) + 64) = 29\u00a0440 parámetros (Keras cuenta 29\u00a0440)."
    assert narrative.glove_coverage(0.9634, 19998) == "El 96,3\u00a0% de nuestras 19\u00a0998 palabras tiene un vector GloVe."
    assert "(25000, 512)" in narrative.encoded_shapes(np.zeros((25000, 512)), np.zeros((25000, 512)), 20000)
    budget = SimpleNamespace(hyperband_epochs=11, hyperband_trials=6, random_epochs=9, random_trials=3, max_epochs=3)
    assert narrative.search_budget(budget) == ("Presupuesto: 11 épocas para Hyperband (6 ensayos), 9 para la "
                                               "búsqueda aleatoria (3 ensayos de 3 épocas).")


def test_lstm_parameters_follow_the_formula():
    assert narrative.lstm_parameters(2, 3, 99) == \
        "LSTM layer: 4 weight blocks (3 gates and the candidate) × (u·(d+u) + u) = 4 × (2·(3+2) + 2) = 48 parameters (Keras counts 99)."


def test_session_repr_in_each_edition(spanish, tmp_path):
    from course_utils import i18n
    from course_utils.notebook import Session
    session = Session(config.get_profile("smoke"), tmp_path / "out")
    assert repr(session).startswith("Sesión(perfil='smoke', reseñas de entrenamiento/prueba=2000/1000, "
                                    "vocabulario=5000, maxlen=128, épocas<=1, semilla=42, output_dir=")
    i18n.set_edition("en")
    assert repr(session).startswith("Session(profile='smoke', train/test reviews=2,000/1,000, vocab=5,000, ")


def test_a_difference_that_rounds_to_nothing_is_called_level_not_above_or_below():
    records = pd.DataFrame({"accuracy": [0.9078, 0.90752, 0.8956], "source": ["this run"] * 3,
                            "profile": ["full"] * 3}, index=pd.Index(["tfidf_logreg", "bigru", "gru"]))
    text = narrative.ranking(records)
    assert "`tfidf_logreg` 0.908 ≈ `bigru` 0.908 > `gru` 0.896" in text
    assert "is level with TF-IDF + logistic regression (less than 0.05 points apart)" in text
    assert "0.0 points" not in text
    assert "0.0 points" not in narrative.compare_models(records, "bigru", ["tfidf_logreg"])
    assert "level with `tfidf_logreg` (0.908): less than 0.05 points apart" in \
        narrative.compare_models(records, "bigru", ["tfidf_logreg"])
    assert "1.2 points above" in narrative.compare_models(records, "bigru", ["gru"])


def test_compare_models_says_when_two_models_trained_for_different_epochs():
    """07 compares a stacked BiGRU trained 3 epochs with a BiGRU trained 6: the sentence says so."""
    trained = {"best_epoch": 2}
    records = pd.DataFrame({"accuracy": [0.907, 0.870, 0.894, 0.908], "epochs": [8, 2, 8, 1],
                            "extra": [trained, trained, trained, {}]},
                           index=pd.Index(["bigru", "bigru_2x", "gru", "tfidf_logreg"], name="model"))
    assert narrative.compare_models(records, "bigru_2x", ["bigru"]) == (
        "`bigru_2x` reaches accuracy 0.870, 3.7 points below `bigru` (0.907), in 2 epochs against 8.")
    assert "epoch" not in narrative.compare_models(records, "bigru", ["gru"])  # the same epochs: nothing to say
    assert "epoch" not in narrative.compare_models(records, "bigru", ["tfidf_logreg"])  # TF-IDF has no epochs
    one = records.assign(epochs=[1, 1, 3, 1])
    assert narrative.compare_models(one, "bigru", ["gru"]).endswith(", in 1 epoch against 3.")
    assert "epoch" not in narrative.compare_models(RECORDS, "lstm", ["dense"])  # rows without epochs (09's table)
