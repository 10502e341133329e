"""Reference answers and scoring, fast: a challenge answered in-process by hand-written
"students" (no kernel, no sandbox) must give the solution full marks and each planted mistake
exactly the points of the checks it should fail."""
from __future__ import annotations

import re
import string
import tempfile
from pathlib import Path
import unicodedata
from types import SimpleNamespace

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

from course_tools import layout  # noqa: E402
from course_tools.grading import answers, batch, harness  # noqa: E402

A1, A3 = "a1_data_preparation", "a3_metrics_report"


def _grade(assignment, namespace, tmp_path, seed=123):
    """Write the challenge as the sandbox sees it, answer it as the harness would, score it here."""
    challenge = answers.challenge(assignment, seed)
    work = Path(tempfile.mkdtemp(dir=tmp_path))
    challenge.write(work)
    namespace = dict(namespace)
    harness.rebind(namespace, str(work / "challenge.json"))  # as the cell the harness inserts does
    if "_cells" in namespace:  # the student's cells after the data cell
        namespace["_cells"](namespace)
    harness.answer_challenge(namespace, str(work / "challenge.json"), str(work / "answers"))
    got, _ = batch._load_answers(work / "answers")
    points, lines = answers.score(challenge, got)
    return points, lines


# ----------------------------------------------------------------------------- assignment 1

@pytest.fixture(scope="module")
def corpus():
    """A corpus with more than 5,000 distinct words (a1 keeps 5,000), built here, not read."""
    rng = np.random.default_rng(0)
    lexicon = np.array(sorted({"".join(w) for w in rng.choice(list(string.ascii_lowercase), size=(7000, 6))}))
    ranks = np.minimum(rng.zipf(1.3, size=(700, 60)), len(lexicon)) - 1  # a few words common, most rare
    texts = [" ".join(lexicon[row[: rng.integers(5, 60)]]).capitalize() + ". <br />Don’t!" for row in ranks]
    texts[:10] = [" ".join(lexicon)] * 10  # every word occurs in training, in any large part of it
    return SimpleNamespace(train=pd.DataFrame({"text": texts[:600]}), test=pd.DataFrame({"text": texts[600:]}))


@pytest.fixture
def fake_reviews(corpus, monkeypatch):
    monkeypatch.setattr(answers, "load_profile_data", lambda profile: corpus)
    return corpus


APOSTROPHES = "’‘ʼʹ`´′"


def _clean(review):
    review = unicodedata.normalize("NFKC", review).lower().translate(str.maketrans({c: "'" for c in APOSTROPHES}))
    return " ".join(re.findall(r"[^\W_]+(?:'[^\W_]+)?", re.sub(r"<[^>]{0,40}>", " ", review)))


def _build_vocabulary(texts, max_size, clean=_clean):
    counts = {}
    for text in texts:
        for word in clean(text).split():
            counts[word] = counts.get(word, 0) + 1
    ranked = sorted(counts, key=lambda w: (-counts[w], w))[: max_size - 2]
    return {w: i for i, w in enumerate(["<pad>", "<oov>", *ranked])}


def _pad(sequences, maxlen, padding="pre", truncating="pre"):
    out = np.zeros((len(sequences), maxlen), dtype=int)
    for i, seq in enumerate(sequences):
        seq = list(seq)[-maxlen:] if truncating == "pre" else list(seq)[:maxlen]
        if seq:
            if padding == "pre":
                out[i, maxlen - len(seq):] = seq
            else:
                out[i, :len(seq)] = seq
    return out


def _a1_student(train_texts, **mistakes):
    """A student's a1 notebook: functions, and the cells that build ``word_index``, ``maxlen_90``
    and ``share_truncated`` from ``train_texts`` (run after the grader's data replaces it)."""
    clean = mistakes.get("clean", _clean)
    encode = mistakes.get("encode", lambda review, index: [index.get(w, 1) for w in clean(review).split()])

    def cells(ns):
        texts = ns["train_texts"]
        word_index = mistakes.get("word_index") or _build_vocabulary(texts, 5000, clean)
        lengths = np.array([len(encode(t, word_index)) for t in texts])
        maxlen_90 = int(np.percentile(lengths, 90))
        ns.update(word_index=word_index, maxlen_90=mistakes.get("maxlen_90", maxlen_90),
                  share_truncated=mistakes.get("share_truncated", float(np.mean(lengths > maxlen_90))))
    return {"clean": clean, "build_vocabulary": mistakes.get("build_vocabulary", _build_vocabulary),
            "encode": encode, "pad": mistakes.get("pad", _pad), "train_texts": list(train_texts), "_cells": cells}


def test_a1_solution_earns_every_point_and_a_blank_none(fake_reviews, tmp_path):
    student = _a1_student(list(fake_reviews.train.text))
    points, lines = _grade(A1, student, tmp_path)
    assert points == {"q1": 2, "q2": 3, "q3": 2, "q4": 3, "q5": 2}, "\n".join(lines)
    assert len(lines) == 11 and all(line.startswith("- ✔") for line in lines)
    blank, lines = _grade(A1, {}, tmp_path)  # defines nothing at all
    assert sum(blank.values()) == 0 and all(line.startswith("- ✘") for line in lines)


def test_a1_values_are_graded_on_training_reviews_drawn_with_the_secret(fake_reviews, tmp_path):
    """Values right for the notebook's own training reviews are wrong for the grader's draw."""
    train = list(fake_reviews.train.text)
    copied = _a1_student(train)
    own = dict(copied)
    copied["_cells"](own)  # computed on the notebook's reviews, then kept whatever the data
    fixed = {k: own[k] for k in ("word_index", "maxlen_90", "share_truncated")}
    copier = {**copied, "_cells": lambda ns: ns.update(fixed)}
    points, lines = _grade(A1, copier, tmp_path)
    assert points["q2"] < 3 and points["q5"] < 2, "\n".join(lines)
    one, other = answers.challenge(A1, 1).rebind, answers.challenge(A1, 2).rebind
    assert one["values"]["train_texts"] != other["values"]["train_texts"]
    assert set(one["values"]["train_texts"]) < set(train)


def _lost(full, points):
    return {q: full[q] - p for q, p in points.items() if p != full[q]}


@pytest.mark.parametrize("mistake,lost", [
    # no NFKC and curly apostrophes kept: the example passes, odd hidden strings do not
    (dict(clean=lambda r: " ".join(re.findall(r"[^\W_]+(?:'[^\W_]+)?", re.sub(r"<[^>]{0,40}>", " ", r.lower())))),
     {"q1": 1, "q2": 2, "q3": 2, "q5": 2}),  # and everything built on it (its words are not the training reviews')
    (dict(build_vocabulary=lambda texts, size: _build_vocabulary(texts, size + 1)), {"q2": 1}),  # one word too many
    (dict(word_index="from test"), {"q2": 2, "q3": 2}),  # the right size, the wrong reviews: its words are wrong
    (dict(encode=lambda review, index: [index.get(w, 0) for w in _clean(review).split()]), {"q3": 2}),  # unknown -> 0
    (dict(pad=lambda s, m, padding="pre", truncating="pre": _pad(s, m, "pre", truncating)), {"q4": 2}),
    (dict(pad=lambda s, m, padding="pre", truncating="pre": _pad(s, m, padding, "post")), {"q4": 3}),
    (dict(maxlen_90=1.5), {"q5": 2}),  # a float: wrong type, wrong value
    (dict(share_truncated=0.1), {"q5": 1}),  # plausible, not computed
    (dict(share_truncated=True), {"q5": 2}),
])
def test_a1_each_mistake_costs_its_checks_points(fake_reviews, tmp_path, mistake, lost):
    train = list(fake_reviews.train.text)
    if mistake.get("word_index") == "from test":
        mistake = {"word_index": _build_vocabulary(list(fake_reviews.test.text) * 3 + train[:5], 5000)}
    full = answers.QUESTIONS[A1]
    points, lines = _grade(A1, _a1_student(train, **mistake), tmp_path)
    assert _lost(full, points) == lost, "\n".join(lines)


# ----------------------------------------------------------------------------- assignment 3

def _metrics(y, s, threshold=0.5, *, swap=False, ignore_threshold=False):
    y, pred = np.asarray(y), (np.asarray(s) >= (0.5 if ignore_threshold else threshold)).astype(int)
    tp, tn = int(((pred == 1) & (y == 1)).sum()), int(((pred == 0) & (y == 0)).sum())
    fp, fn = int(((pred == 1) & (y == 0)).sum()), int(((pred == 0) & (y == 1)).sum())
    n = len(y)
    precision, recall = (tp / (tp + fp) if tp + fp else 0.0), (tp / (tp + fn) if tp + fn else 0.0)
    if swap:
        precision, recall = recall, precision
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    p_o = (tp + tn) / n
    p_e = ((tp + fp) * (tp + fn) + (tn + fn) * (tn + fp)) / n ** 2
    return {"accuracy": p_o, "precision": precision, "recall": recall, "f1": f1, "cohen_kappa": (p_o - p_e) / (1 - p_e)}


def _a3_student(compute=_metrics, bars=True, xlabel="metric", transform=lambda report: report, copied=False):
    """A student's a3 notebook: the data cell, then the cells that build ``report`` and ``fig``
    from ``y_true`` and ``scores`` (run after the grader's data replaces the example's)."""
    y_true, scores = answers.a3_data()

    def cells(ns):
        y, s = (y_true, scores) if copied else (ns["y_true"], ns["scores"])  # copied: the example's values
        report = transform(pd.DataFrame({name: compute(y, v) for name, v in s.items()}).T[answers.A3_METRICS])
        fig, ax = plt.subplots()
        if bars:
            report.plot.bar(ax=ax)
        ax.set_xlabel(xlabel)
        ax.set_ylabel("score")
        ns.update(report=report, fig=fig)
    return {"compute_metrics": compute, "y_true": y_true, "scores": scores, "_cells": cells}


def test_a3_solution_earns_every_point_and_planted_mistakes_lose_theirs(tmp_path):
    full = answers.QUESTIONS[A3]
    points, lines = _grade(A3, _a3_student(), tmp_path)
    assert points == {"q1": 5, "q2": 3, "q3": 2}, "\n".join(lines)
    swapped = _grade(A3, _a3_student(lambda y, s, threshold=0.5: _metrics(y, s, threshold, swap=True)), tmp_path)[0]
    # hidden data, and the whole report: no row is right, so not even its shape earns a point (the
    # bars show the same numbers, precision and recall swapped: the figure keeps its points)
    assert _lost(full, swapped) == {"q1": 2, "q2": 3}
    fixed = _grade(A3, _a3_student(lambda y, s, threshold=0.5: _metrics(y, s, threshold, ignore_threshold=True)),
                   tmp_path)[0]
    assert _lost(full, fixed) == {"q1": 1}  # only the kappa at other thresholds
    assert _lost(full, _grade(A3, _a3_student(bars=False), tmp_path)[0]) == {"q3": 2}, "an empty figure shows nothing"
    assert _lost(full, _grade(A3, _a3_student(xlabel=""), tmp_path)[0]) == {"q3": 1}
    plt.close("all")


def test_a3_report_rows_and_values_are_matched_by_name_but_columns_must_be_in_order(tmp_path):
    reverse = lambda r: r.iloc[::-1]  # noqa: E731 - another row order is fine
    assert sum(_grade(A3, _a3_student(transform=reverse), tmp_path)[0].values()) == 10
    reorder = lambda r: r.iloc[::-1][answers.A3_METRICS[::-1]]  # noqa: E731 - columns in another order: the shape check
    assert _lost(answers.QUESTIONS[A3], _grade(A3, _a3_student(transform=reorder), tmp_path)[0]) == {"q2": 1}
    swap = lambda r: reorder(r).rename(columns={"recall": "precision", "precision": "recall"})  # noqa: E731
    assert _lost(answers.QUESTIONS[A3], _grade(A3, _a3_student(transform=swap), tmp_path)[0]) == {"q2": 3}
    plt.close("all")


def test_a3_report_is_graded_on_data_drawn_with_the_secret(tmp_path):
    """A report right for the notebook's example data (e.g. copied from a classmate's output) is
    wrong for the data the grader puts in its place."""
    # nothing of q2 or q3: the table and its bars are the example's numbers, not the secret data's
    assert _lost(answers.QUESTIONS[A3], _grade(A3, _a3_student(copied=True), tmp_path)[0]) == {"q2": 3, "q3": 2}
    one, other = answers.challenge(A3, 1).rebind, answers.challenge(A3, 2).rebind
    assert one["values"]["y_true"] != other["values"]["y_true"]
    y_example, _ = answers.a3_data()
    assert one["values"]["y_true"]["$array"][:50] != y_example[:50].tolist()
    plt.close("all")


def test_the_harness_puts_the_secret_data_after_the_notebooks_data_cell(tmp_path):
    import nbformat
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import otter"), nbformat.v4.new_markdown_cell("y_true = 'in prose'"),
                nbformat.v4.new_code_cell("import numpy as np\ny_true = np.zeros(3)\nscores = {}"),
                nbformat.v4.new_code_cell("report = make(y_true)")]
    challenge = answers.challenge(A3, 1)
    challenge.write(tmp_path)
    assert harness.insert_rebind(nb, {"rebind": challenge.rebind}, str(tmp_path / "challenge.json"))
    assert "_course_rebind(globals()" in nb.cells[3].source and nb.cells[4].source == "report = make(y_true)"
    namespace = {}
    exec(nb.cells[2].source, namespace)
    exec(nb.cells[3].source, namespace)
    assert namespace["y_true"].tolist() == challenge.rebind["values"]["y_true"]["$array"]
    assert sorted(namespace["scores"]) == ["bag_of_words", "bigru", "lstm"]


def test_the_same_seed_gives_the_same_challenge_and_another_seed_another():
    one, again, other = (answers.challenge(A3, s) for s in (5, 5, 6))
    assert one.probes == again.probes and one.probes != other.probes
    assert [c.name for c in one.checks] == [c.name for c in other.checks]
    with pytest.raises(ValueError, match="Unknown assignment 'a9'; choose one of"):
        answers.challenge("a9")


# ----------------------------------------------------------------------------- points only for work

def _forged_figure(namespace: dict, bars: int = 15) -> dict:
    """What a student who computes nothing writes as ``fig``: the harness's summary, typed in."""
    namespace["fig"] = {"$figure": [{"xlabel": "model", "ylabel": "score", "bars": bars}]}
    real = harness.to_plain
    return {"to_plain": lambda value, depth=0: value if isinstance(value, dict) and "$figure" in value
            else real(value, depth)}


def test_an_a3_submission_that_computes_nothing_scores_nothing(tmp_path, monkeypatch):
    """Typed-in public examples (the small example's answer for every call), the right labels on a
    table of zeros, and a figure summary forged in the answers: 0 of 10 (it earned 5 before)."""
    def typed_in(y, s, threshold=0.5):
        return {"accuracy": 0.5, "precision": 0.5, "recall": 0.5, "f1": 0.5, "cohen_kappa": 0.0}

    def cells(ns):
        ns["report"] = pd.DataFrame(0.0, index=["bag_of_words", "lstm", "bigru"], columns=answers.A3_METRICS)
        patch = _forged_figure(ns)
        monkeypatch.setattr(harness, "to_plain", patch["to_plain"])
    points, lines = _grade(A3, {"compute_metrics": typed_in, "_cells": cells}, tmp_path)
    assert points == {"q1": 0, "q2": 0, "q3": 0}, "\n".join(lines)


def test_an_a3_figure_is_judged_on_its_bars_heights(tmp_path):
    honest = _a3_student()

    def flat(ns):  # the right report, and a figure with the right bars and labels, all of one height
        honest["_cells"](ns)
        fig, ax = plt.subplots()
        ax.bar(range(15), [0.5] * 15)
        ax.set_xlabel("model")
        ax.set_ylabel("score")
        ns["fig"] = fig
    points, lines = _grade(A3, {**honest, "_cells": flat}, tmp_path)
    assert points == {"q1": 5, "q2": 3, "q3": 0}, "\n".join(lines)
    plt.close("all")


@pytest.mark.parametrize("assignment", sorted(answers.QUESTIONS))
def test_points_are_defined_once_the_grader_agrees_with_the_assignment_source(assignment):
    """Each question's points as the otter ``points:`` of the source notebook (and its Spanish
    edition) says: a point changed in one place only fails here."""
    assert answers.source_points(assignment) == answers.QUESTIONS[assignment]
    assert answers.source_points(assignment, layout.assignments_dir() / "es") == answers.QUESTIONS[assignment]


@pytest.mark.parametrize("assignment", [A1, A3])
def test_the_checks_add_up_to_each_questions_points(assignment, fake_reviews):
    checks: dict[str, float] = {}
    for check in answers.challenge(assignment, 5).checks:
        checks[check.question] = checks.get(check.question, 0) + check.points
    assert checks == answers.QUESTIONS[assignment]


def test_a_question_whose_points_disagree_with_the_source_is_found(tmp_path):
    import json

    source = json.loads((layout.assignments_dir() / f"{A3}.ipynb").read_text(encoding="utf-8"))
    for cell in source["cells"]:
        if cell["cell_type"] == "raw" and "".join(cell["source"]).startswith("# BEGIN QUESTION\nname: q3"):
            cell["source"] = "# BEGIN QUESTION\nname: q3\npoints: 4"
    (tmp_path / f"{A3}.ipynb").write_text(json.dumps(source), encoding="utf-8")
    assert answers.source_points(A3, tmp_path) == {"q1": 5, "q2": 3, "q3": 4} != answers.QUESTIONS[A3]


def test_an_a1_submission_that_computes_nothing_scores_nothing(fake_reviews, tmp_path):
    """The notebook's public examples typed in, a word_index of the right size and made-up words,
    a plausible int and share: 0 of 12 (it earned 5 before)."""
    def typed_in_clean(review):
        return "great movie don't miss it"  # the public example's answer

    def cells(ns):
        ns.update(word_index={"<pad>": 0, "<oov>": 1, **{f"w{i}": i for i in range(2, 5000)}}, maxlen_90=230,
                  share_truncated=0.1)
    student = {"clean": typed_in_clean, "build_vocabulary": lambda texts, size: {"<pad>": 0, "<oov>": 1},
               "encode": lambda review, index: [] if not review else [1],
               "pad": lambda seqs, maxlen, padding="pre", truncating="pre": [[0, 1, 2], [3, 4, 5]], "_cells": cells}
    points, lines = _grade(A1, student, tmp_path)
    assert sum(points.values()) == 0, "\n".join(lines)
