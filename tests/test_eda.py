"""Exploratory helpers of notebook 01."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from course_utils import eda


def _frame(texts, labels):
    return pd.DataFrame({"id": range(len(texts)), "text": texts, "label": labels, "rating": 1})


def test_html_residue_counts_reviews_and_occurrences():
    table = eda.html_residue(["a<br /><br />b", "<i>c</i><br/>", "plain"])
    assert table.loc["br"].tolist() == [2, 3]
    assert table.loc["i"].tolist() == [1, 2]


def test_word_lengths_and_frequent_words():
    assert eda.word_lengths(["a b c", ""]).tolist() == [3, 0]
    top = eda.frequent_words(["the great great film", "the film"], n=2)
    assert top.index.tolist() == ["film", "great"]


def test_distinctive_words_point_the_right_way():
    words = eda.distinctive_words(["great fun", "great joy", "awful mess", "awful waste"], [1, 1, 0, 0],
                                  n=1, min_count=2)
    assert words["positive"].index[0] == "great" and words["negative"].index[0] == "awful"


def test_duplicate_report_inside_and_across_splits():
    train = _frame(["Great film!", "great film", "Bad.", "unique"], [1, 1, 0, 1])
    test = _frame(["BAD", "other", "other"], [1, 0, 0])
    report = eda.duplicate_report(train, test)
    assert report.loc["train"].tolist() == [1, 1, 0]
    assert report.loc["test"].tolist() == [1, 1, 0]
    assert report.loc["train ∩ test"].tolist() == [1, 1, 1]  # "bad" labelled 0 in train, 1 in test


def test_examples_are_balanced_and_shortened():
    frame = _frame(["x" * 900, "y", "z", "w"], [1, 1, 0, 0])
    out = eda.examples(frame, n=1, width=10)
    assert sorted(out.label) == ["negative", "positive"]
    assert out.text.str.len().max() <= 14


_TIES = r'''
from course_utils import eda
texts = ["<sigh> <hr> <grin> <em>x</em>", "<spoiler>y</spoiler> <br /> <br />", "good fine nice", "bad poor dull"]
print(list(eda.html_residue(texts).index))
words = eda.distinctive_words(texts, [1, 1, 1, 0], n=4, min_count=1)
print(list(words["positive"].index), list(words["negative"].index))
'''


def test_tables_with_ties_are_the_same_under_any_hash_seed():
    """Set iteration order changes with PYTHONHASHSEED; tied rows must not (nbval compares them)."""
    import os
    import subprocess
    import sys
    runs = {subprocess.run([sys.executable, "-c", _TIES], capture_output=True, text=True, check=True,
                           env={**os.environ, "PYTHONHASHSEED": seed}).stdout
            for seed in ("1", "2")}
    assert len(runs) == 1, runs
    tags = eval(runs.pop().splitlines()[0])
    assert tags == ["br", "em", "spoiler", "grin", "hr", "sigh"]  # 2 occurrences each, then 1: alphabetical


def test_frequent_words_exact_counts_stop_words_short_words_and_ties():
    texts = ["the zebra ox ox a x", "ox bb bb zebra yak yak"] + [f"w{i:02d} w{i:02d}" for i in range(30)]
    top = eda.frequent_words(texts)  # default: 20 words, stop words and 1-letter tokens dropped
    assert len(top) == 20 and top.name == "count" and top.dtype == np.int64
    assert top.index[:4].tolist() == ["ox", "bb", "w00", "w01"]  # 3, then 2s alphabetically ("bb" < "w00")
    assert top.tolist()[:4] == [3, 2, 2, 2]
    assert "the" not in top.index and "x" not in top.index and "a" not in top.index
    everything = eda.frequent_words(texts[:2], n=50, drop_stop_words=False)
    assert everything.to_dict() == {"ox": 3, "bb": 2, "yak": 2, "zebra": 2, "a": 1, "the": 1, "x": 1}
    assert eda.frequent_words(texts[:2], n=50).to_dict() == {"ox": 3, "bb": 2, "yak": 2, "zebra": 2}


def test_distinctive_words_defaults_and_log_odds_written_out():
    texts = ["great"] * 60 + ["awful"] * 60 + ["plot"] * 100 + ["rare"] * 50 + ["scarce"] * 49
    labels = [1] * 60 + [0] * 60 + [1, 0] * 50 + [1, 0] * 25 + [1] * 49
    words = eda.distinctive_words(texts, labels)  # min_count 50: "rare" (50) stays, "scarce" (49) goes
    pos, neg = words["positive"], words["negative"]
    # add-one counts over awful, great, plot, rare: positive 1, 61, 51, 26; negative 61, 1, 51, 26 (sums 139)
    assert pos.index.tolist() == ["great", "plot", "rare", "awful"] and neg.index.tolist() == ["awful", "plot", "rare", "great"]
    assert pos["great"] == pytest.approx(np.log(61 / 139) - np.log(1 / 139))
    assert pos["plot"] == pytest.approx(0.0) and neg["great"] == pytest.approx(-np.log(61))
    assert pos.name == "log-odds (positive vs negative)" and neg.name == "log-odds (negative vs positive)"
    many = [f"w{i:02d}" for i in range(20) for _ in range(50)]
    table = eda.distinctive_words(many, [i % 2 for i in range(len(many))])
    assert len(table["positive"]) == 15 and table["positive"].index[0] == "w00", "15 by default; ties alphabetical"
    assert len(table["negative"]) == 15 and table["negative"].index[0] == "w00"


def test_html_residue_table_is_sorted_named_and_integer():
    table = eda.html_residue(["<I>x</i> <b>", "<br/><br/><br/>", "<b>y</b>", "<hr>"])
    assert table.index.name == "tag" and table.columns.tolist() == ["reviews", "occurrences"]
    assert table.index.tolist() == ["b", "br", "i", "hr"]  # 3, 3 (alphabetical), 2, 1
    assert table.to_dict("list") == {"reviews": [2, 1, 1, 1], "occurrences": [3, 3, 2, 1]}
    assert all(dtype == np.int64 for dtype in table.dtypes)


def test_examples_defaults_two_per_class_seeded_and_cut_after_500_characters():
    texts = [f"p{i}" + "x" * (498 + i) for i in range(5)] + [f"n{i}" for i in range(5)]
    frame = pd.DataFrame({"text": texts, "label": [1] * 5 + [0] * 5, "rating": [9] * 5 + [2] * 5})
    out = eda.examples(frame)
    assert out.label.tolist() == ["positive", "positive", "negative", "negative"]
    assert out.columns.tolist() == ["label", "rating", "text"]
    picked = frame[frame.label == 1].sample(n=2, random_state=0).index.tolist()
    assert out.index[:2].tolist() == picked and eda.examples(frame, seed=1).index.tolist() != out.index.tolist()
    every = eda.examples(frame, n=10)
    assert every.label.value_counts().to_dict() == {"positive": 5, "negative": 5}
    assert every.text[0] == texts[0] and len(texts[0]) == 500, "exactly 500 characters: kept whole"
    assert every.text[1] == texts[1][:500] + " ..." and every.text[9] == "n4"


def test_duplicates_whose_labels_disagree_are_counted():
    train = _frame(["Great film!", "great film", "GREAT FILM", "fine"], [1, 0, 1, 1])
    report = eda.duplicate_report(train, _frame(["other"], [0]))
    assert report.loc["train"].tolist() == [1, 2, 1]  # one text, two extra copies, one conflict


def test_long_ties_stay_alphabetical_in_every_table():
    """NumPy's and pandas' default sorts are not stable on long inputs; the tables must be."""
    names = [f"t{a}{b}" for a in "abc" for b in "abcdefghijklmnopqrst"]  # 60 tags (tags are letters only)
    tiers = {n: i % 3 + 1 for i, n in enumerate(names)}  # 1, 2 or 3 occurrences: long runs of ties
    table = eda.html_residue(["".join(f"<{n}>" * k for n, k in tiers.items())])
    assert table.index.tolist() == sorted(names, key=lambda n: (-tiers[n], n))
    words = [f"w{i:02d}" for i in range(60)]
    split = {w: (30, 30) if i % 3 == 0 else (40, 20) if i % 3 == 1 else (20, 40) for i, w in enumerate(words)}
    texts = [w for w in words for _ in range(sum(split[w]))]
    labels = [y for w in words for y in [1] * split[w][0] + [0] * split[w][1]]
    positive = eda.distinctive_words(texts, labels, n=60)["positive"].index.tolist()
    tier = {(40, 20): 0, (30, 30): 1, (20, 40): 2}
    assert positive == sorted(words, key=lambda w: (tier[split[w]], w))


def test_examples_draw_each_class_from_its_own_reviews():
    frame = pd.DataFrame({"label": [1] * 3 + [0] * 6, "rating": [9, 8, 10, 1, 2, 3, 4, 1, 2],
                          "text": [f"review {i}" for i in range(9)]})
    shown = eda.examples(frame, n=4)
    assert shown["label"].tolist() == ["positive"] * 3 + ["negative"] * 4   # all 3 positives, 4 of 6 negatives
    assert set(shown.loc[shown.label == "positive", "rating"]) == {8, 9, 10}


def test_word_counts_are_integers_even_when_there_are_none():
    lengths = eda.word_lengths(["one two", "three"])
    assert lengths.dtype == np.int64 and lengths.tolist() == [2, 1]
    empty = eda.frequent_words([])
    assert empty.empty and empty.dtype == np.int64 and empty.name == "count"
