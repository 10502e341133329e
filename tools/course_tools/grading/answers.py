"""Trusted reference answers: the challenge each submission answers, and how it is scored.

For every grading run, :func:`challenge` draws fresh inputs with a secret seed (so a
submission cannot carry a lookup table of answers), and keeps the expected answers, computed
here with the pristine ``course_utils``, outside the sandbox. :func:`score` compares what the
submission returned (plain data) with them and gives points, never more than a question's
maximum. Nothing the submission writes can change a question's points or maximum.
"""
from __future__ import annotations

import functools
import json
import math
import secrets
import string
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Callable

import numpy as np

from course_utils import config
from course_utils.i18n import N_, LazyText, label as translated_label, ngettext, render
from course_utils.data import load_profile_data
from course_utils.evaluation import classification_metrics
from course_utils.text import Vocabulary, length_percentiles, pad_sequences, standardize, truncation_share
from .inert import markdown_safe

#: Points per question of each assignment (the source notebooks in assignments/ say the same).
QUESTIONS = {
    "a1_data_preparation": {"q1": 2, "q2": 3, "q3": 2, "q4": 3, "q5": 2},
    "a2_recurrent_classifier": {"q1": 3, "q2": 4},
    "a3_metrics_report": {"q1": 5, "q2": 3, "q3": 2},
}
def source_points(assignment: str, source_dir: str | Path | None = None) -> dict[str, float]:
    """Each question's points as the assignment's source notebook says (otter's ``# BEGIN QUESTION``
    cells: ``name:`` and ``points:``), to check :data:`QUESTIONS` against: points are defined once.

    Parameters
    ----------
    assignment : str
        The assignment's name, e.g. ``"a3_metrics_report"``.
    source_dir : str or Path, optional
        The folder holding ``<assignment>.ipynb``; by default the checkout's ``assignments/``
        (``layout.assignments_dir()``).

    Returns
    -------
    dict
        Question name -> points, in the notebook's order.

    Raises
    ------
    ValueError
        If a question cell has no name or no number of points.
    """
    if source_dir is None:
        from ..layout import assignments_dir
        source_dir = assignments_dir()
    notebook = json.loads((Path(source_dir) / f"{assignment}.ipynb").read_text(encoding="utf-8"))
    points: dict[str, float] = {}
    for cell in notebook.get("cells", []):
        text = "".join(cell.get("source", "")) if isinstance(cell.get("source"), list) else str(cell.get("source", ""))
        if cell.get("cell_type") != "raw" or not text.lstrip().startswith("# BEGIN QUESTION"):
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines()[1:] if ":" in line)
        name, value = fields.get("name", "").strip(), fields.get("points", "").strip()
        if not name or not value:
            raise ValueError(f"{assignment}: a question cell without a name or points: {text[:80]!r}")
        points[name] = float(value) if "." in value else int(value)
    return points


#: The assignments whose notebooks read the IMDB reviews (the others get an empty /data).
READS_DATA = frozenset({"a1_data_preparation", "a2_recurrent_classifier"})


@dataclass
class Check:
    """One scored check: its question, points, and how to judge the submission's answers.
    ``name`` is marked with ``N_`` where it is written: the feedback shows it translated."""

    question: str
    points: float
    name: str
    #: ``answers -> (passed, message)``; the message a ``LazyText`` (rendered in the submission's
    #: edition) or a plain string (looked up whole in the catalogue, else shown as it is).
    judge: Callable[[dict], tuple[bool, str | LazyText]]


@dataclass
class Challenge:
    """Inputs for the sandbox (``probes``, ``files``) and the trusted checks that score them."""

    assignment: str
    probes: list[dict]
    checks: list[Check]
    files: dict[str, np.ndarray] = field(default_factory=dict)
    #: Assignment 2: the held-out inputs and the specification the exported model is checked against
    #: outside the sandbox (``modelcheck``); never written into the sandbox.
    model_check: dict | None = None
    #: Data the harness puts in place of the notebook's example data (``{"after": regex, "values": {...}}``).
    rebind: dict | None = None

    def write(self, folder: Path) -> None:
        """Write the sandbox's part (never the expected answers) into ``folder``."""
        for name, array in self.files.items():
            np.save(folder / name, array, allow_pickle=False)
        sandbox_part = {"probes": self.probes, **({"rebind": self.rebind} if self.rebind else {})}
        (folder / "challenge.json").write_text(json.dumps(sandbox_part), encoding="utf-8")


class Malformed(ValueError):
    """An answer that is not plain data of the kinds the harness writes (exact types, shapes,
    finite numbers): it scores nothing. ``text`` is the reason, to be shown in any edition."""

    def __init__(self, template: str, **fields) -> None:
        self.text = LazyText(template, **fields)
        super().__init__(self.text.render())


#: NumPy dtypes an answer's array may have (never object, string or structured data).
ARRAY_DTYPES = frozenset({"bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
                          "float16", "float32", "float64"})
PLAIN_DEPTH = 16


def number(value) -> float:
    """``value`` as a float if it is a finite int or float (not a bool, not a string), else :class:`Malformed`."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise Malformed(N_("expected a finite number, got {kind}"), kind=type(value).__name__)
    return float(value)


def _array(value: dict) -> np.ndarray:
    if not set(value) <= {"$array", "dtype", "shape"}:
        raise Malformed(N_("an array with unknown fields"))
    dtype = value.get("dtype", None)
    if dtype is not None and dtype not in ARRAY_DTYPES:
        raise Malformed(N_("an array of {dtype}, not numbers"), dtype=repr(str(dtype)[:20]))
    try:
        array = np.asarray(value["$array"], dtype=dtype)
    except (ValueError, TypeError, OverflowError):
        raise Malformed(N_("an array that is ragged or not numbers")) from None
    if array.dtype.kind not in "biuf":
        raise Malformed(N_("an array that is not numbers"))
    if "shape" in value and (not isinstance(value["shape"], list) or list(array.shape) != value["shape"]):
        raise Malformed(N_("an array whose shape differs from the one it declares"))
    if array.dtype.kind == "f" and not np.all(np.isfinite(array)):
        raise Malformed(N_("an array with NaN or infinite values"))
    return array


def _frame(value) -> dict:
    """A table as the harness writes it: ``index`` (n labels), ``columns`` (k names), ``data``
    (n rows of k finite numbers), at least one row."""
    if not isinstance(value, dict) or set(value) != {"index", "columns", "data"}:
        raise Malformed(N_("a table without exactly index, columns and data"))
    index, columns, data = value["index"], value["columns"], value["data"]
    if not (isinstance(index, list) and isinstance(columns, list) and isinstance(data, list)):
        raise Malformed(N_("a table whose parts are not lists"))
    if not index or len(data) != len(index) or len(set(map(str, index))) != len(index):
        raise Malformed(N_("a table with no rows, or rows not matching its index"))
    if not all(isinstance(c, str) for c in columns) or len(set(columns)) != len(columns):
        raise Malformed(N_("a table whose column names are not distinct strings"))
    if not all(isinstance(i, (str, int)) and not isinstance(i, bool) for i in index):
        raise Malformed(N_("a table whose index is not names"))
    if not all(isinstance(row, list) and len(row) == len(columns) for row in data):
        raise Malformed(N_("a table whose rows do not match its columns"))
    values = np.array([[number(v) for v in row] for row in data], dtype=float).reshape(len(index), len(columns))
    return {"index": [str(i) for i in index], "columns": list(columns), "data": values}


#: Most bars per axes a figure summary may list.
FIGURE_BARS = 1_000


def _figure(value) -> list[dict]:
    if not isinstance(value, list) or not value:
        raise Malformed(N_("a figure without axes"))
    axes = []
    for ax in value:
        if not isinstance(ax, dict) or set(ax) - {"heights"} != {"xlabel", "ylabel", "bars"}:
            raise Malformed(N_("a figure's axes without exactly xlabel, ylabel and bars"))
        if not (isinstance(ax["xlabel"], str) and isinstance(ax["ylabel"], str)) or isinstance(ax["bars"], bool) \
                or not isinstance(ax["bars"], int) or ax["bars"] < 0:
            raise Malformed(N_("a figure's axes with labels that are not text or a bar count that is not a count"))
        heights = ax.get("heights", [])
        if not isinstance(heights, list) or len(heights) > FIGURE_BARS:
            raise Malformed(N_("not plain data ({kind})"), kind="heights")
        axes.append({**ax, "heights": [number(h) for h in heights]})
    return axes


def from_plain(value, depth: int = 0):
    """Undo :func:`harness.to_plain`, strictly: plain JSON values, finite numbers, arrays of
    numbers whose shape is what they declare, dictionaries, tables and figures as the harness
    writes them. Anything else raises :class:`Malformed` (data only, never code)."""
    if depth > PLAIN_DEPTH:
        raise Malformed(N_("nested too deeply"))
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return number(value)
    if isinstance(value, list):
        return [from_plain(v, depth + 1) for v in value]
    if not isinstance(value, dict):
        raise Malformed(N_("not plain data ({kind})"), kind=type(value).__name__)
    if "$array" in value:
        return _array(value)
    if "$dict" in value:
        pairs = value["$dict"]
        if set(value) != {"$dict"} or not isinstance(pairs, list) or \
                not all(isinstance(p, list) and len(p) == 2 for p in pairs):
            raise Malformed(N_("a dictionary that is not a list of key-value pairs"))
        out = {}
        for k, v in pairs:
            key = _key(from_plain(k, depth + 1))
            if isinstance(key, (dict, np.ndarray)):
                raise Malformed(N_("a dictionary key that is not a plain value"))
            out[key] = from_plain(v, depth + 1)
        return out
    if "$frame" in value:
        if set(value) != {"$frame"}:
            raise Malformed(N_("a table with unknown fields"))
        return {"$frame": _frame(value["$frame"])}
    if "$figure" in value:
        if set(value) != {"$figure"}:
            raise Malformed(N_("a figure with unknown fields"))
        return {"$figure": _figure(value["$figure"])}
    if "$type" in value:
        if set(value) != {"$type"} or not isinstance(value["$type"], str):
            raise Malformed(N_("an object summary with unknown fields"))
        return {"$type": value["$type"][:200]}
    if any(not isinstance(k, str) or k.startswith("$") for k in value):
        raise Malformed(N_("a mapping with unknown fields"))
    return {k: from_plain(v, depth + 1) for k, v in value.items()}


#: Characters of a sandbox's own words quoted in a feedback line.
QUOTE_LIMIT = 300


def _key(k):
    return tuple(k) if isinstance(k, list) else k


def _get(answers: dict, probe_id: str):
    entry = answers.get(probe_id)
    if not isinstance(entry, dict) or "ok" not in entry:
        error = entry.get("error") if isinstance(entry, dict) else None
        # the sandbox's own words (untrusted) are shown verbatim, never looked up as a template
        # (escaped and bounded: a sandbox cannot write Markdown, HTML or a forged "Score:" line into feedback)
        raise AnswerMissing(LazyText("{error}", error=markdown_safe(error[:QUOTE_LIMIT], QUOTE_LIMIT))
                            if isinstance(error, str) else LazyText(N_("no answer")))
    try:
        return from_plain(entry["ok"])
    except Malformed as exc:
        raise AnswerMissing(LazyText(N_("malformed answer: {reason}"), reason=exc.text)) from None


class AnswerMissing(Exception):
    """The submission gave no usable answer to a probe (``text``: why, in any edition)."""

    def __init__(self, text: LazyText) -> None:
        self.text = text
        super().__init__(text.render())


def _judge_all(ids: list[str], expected: list, same: Callable = lambda a, b: a == b, label: str = ""):
    """A judge: every probe in ``ids`` must equal its expected value. ``label`` (marked with
    ``N_``) names the check in its messages."""
    name = LazyText(label)

    def judge(answers: dict) -> tuple[bool, LazyText]:
        for probe_id, want in zip(ids, expected):
            try:
                got = _get(answers, probe_id)
            except AnswerMissing as exc:
                return False, LazyText("{label}: {reason}", label=name, reason=exc.text)  # layout only: not a sentence
            try:
                if not same(got, want):
                    return False, LazyText(N_("{label}: a result differs from the reference"), label=name)
            except Exception as exc:  # noqa: BLE001 - a malformed answer is a wrong answer
                return False, LazyText(N_("{label}: unusable answer ({error})"), label=name, error=type(exc).__name__)
        return True, name
    return judge


def _random_text(rng: np.random.Generator) -> str:
    pieces = ["Great", "MOVIE", "<br /><br />", "don't", "don’t", "película", "café", "😀", "10/10", "!!!",
              "Ａ", "ﬁlm", "e\u0301", "-", "_", "it's", "’", "'", "  "]
    letters = list(string.ascii_letters + "àéîõüß")
    words = [rng.choice(pieces) if rng.random() < 0.5 else "".join(rng.choice(letters, size=rng.integers(1, 8)))
             for _ in range(rng.integers(0, 15))]
    return " ".join(words)


def _numeric_close(a, b) -> bool:
    return math.isclose(number(a), float(b), rel_tol=0, abs_tol=1e-9)


# ----------------------------------------------------------------------------- assignment 1

def _a1(rng: np.random.Generator) -> Challenge:
    subset = load_profile_data(config.get_profile("smoke"))
    everything, test = list(subset.train.text), list(subset.test.text)
    # The notebook's training reviews, replaced (after its data cell) by a part drawn with the secret:
    # word_index, maxlen_90 and share_truncated are graded on reviews the submission could not know.
    keep = np.sort(rng.choice(len(everything), size=max(2, int(len(everything) * 0.8)), replace=False))
    train = [everything[i] for i in keep]
    vocab = Vocabulary.build(train, max_size=5000)
    probes: list[dict] = []
    checks: list[Check] = []

    def add(prefix: str, calls: list[dict]) -> list[str]:
        ids = [f"{prefix}-{i}" for i in range(len(calls))]
        probes.extend({"id": i, **c} for i, c in zip(ids, calls))
        return ids

    # Every point is earned on inputs drawn with the secret (the notebook's public examples typed in,
    # or a made-up word_index of the right size, score nothing). The examples are drawn last, so the
    # other inputs stay as they were; their checks are inserted at their place.
    first_checks: list[Check] = []
    texts = [train[i] for i in rng.choice(len(train), 12, replace=False)] + [_random_text(rng) for _ in range(12)]
    ids = add("q1", [{"call": "clean", "args": [t]} for t in texts])
    checks.append(Check("q1", 1, N_("clean: new reviews and odd strings"),
                        _judge_all(ids, [standardize(t) for t in texts], label=N_("q1 hidden"))))

    ids = add("q2idx", [{"value": "word_index"}])
    checks.append(Check("q2", 1, N_("word_index: reserved indices and size"), _judge_all(
        ids, [None], same=lambda got, _: got.get("<pad>") == 0 and got.get("<oov>") == 1 and len(got) == len(vocab.words)
        and set(got) == set(vocab.words), label=N_("q2 reserved"))))
    checks.append(Check("q2", 1, N_("word_index: from the training reviews, in frequency order"), _judge_all(
        ids, [list(vocab.words)], same=lambda got, want: list(got) == want and
        [got[w] for w in want] == list(range(len(want))), label=N_("q2 training only"))))
    words = ["".join(rng.choice(list("abcdefghij"), size=rng.integers(2, 6))) for _ in range(9)]
    new_texts = [" ".join(rng.choice(words, size=12)) for _ in range(30)]
    size = int(rng.integers(4, 9))
    ids = add("q2new", [{"call": "build_vocabulary", "args": [new_texts, size]}])
    checks.append(Check("q2", 1, N_("build_vocabulary on new texts"), _judge_all(
        ids, [list(Vocabulary.build(new_texts, max_size=size).words)], same=lambda got, want: list(got) == want,
        label=N_("q2 new texts"))))

    q3_at = len(checks)
    sample = [test[i] for i in rng.choice(len(test), 15, replace=False)] + [_random_text(rng) for _ in range(5)]
    ids = add("q3", [{"call": "encode", "args": [t, {"$var": "word_index"}]} for t in sample])
    checks.append(Check("q3", 1, N_("encode: new reviews"), _judge_all(
        ids, [vocab.encode(t) for t in sample], same=lambda got, want: list(map(int, got)) == want, label=N_("q3 hidden"))))

    q4_at = len(checks)
    seqs = [[int(v) for v in rng.integers(1, 50, size=rng.integers(0, 20))] for _ in range(40)]
    maxlen = int(rng.integers(5, 15))
    modes = [(p, t) for p in ("pre", "post") for t in ("pre", "post")]
    ids = add("q4", [{"call": "pad", "args": [seqs, maxlen], "kwargs": {"padding": p, "truncating": t}} for p, t in modes])
    checks.append(Check("q4", 2, N_("pad: every mode on new sequences"), _judge_all(
        ids, [pad_sequences(seqs, maxlen, padding=p, truncating=t) for p, t in modes],
        same=lambda g, w: np.asarray(g).shape == w.shape and np.array_equal(np.asarray(g), w), label=N_("q4 hidden"))))

    ids_train = vocab.encode_many(train)
    p90 = length_percentiles(ids_train, [90])[90]
    ids = add("q5", [{"value": "maxlen_90"}, {"value": "share_truncated"}])
    checks.append(Check("q5", 1, N_("maxlen_90 and share_truncated: types and range"),
                        functools.partial(_q5_types, ids=list(ids), p90=p90)))
    checks.append(Check("q5", 1, N_("maxlen_90 and share_truncated: values"), _judge_all(
        ids, [p90, truncation_share(ids_train, p90)], same=_numeric_close, label=N_("q5 values"))))
    # the examples, drawn with the secret
    word = lambda: "".join(rng.choice(list(string.ascii_letters), size=int(rng.integers(3, 8))))  # noqa: E731
    example = f"{word()}<br /><br />{word().upper()}!!! Don't {word()} it."
    ids = add("q1ex", [{"call": "clean", "args": [example]}])
    first_checks.append(Check("q1", 1, N_("clean: the example"), _judge_all(ids, [standardize(example)],
                                                                           label=N_("q1 example"))))
    known = [vocab.words[int(i)] for i in rng.integers(2, len(vocab.words), size=3)]
    unknown = "zzq" + "".join(rng.choice(list("xvjkq"), size=5))
    phrase = " ".join([known[0], unknown, *known[1:]])
    ids = add("q3ex", [{"call": "encode", "args": ["", {"$var": "word_index"}]},
                       {"call": "encode", "args": [phrase, {"$var": "word_index"}]}])
    checks.insert(q3_at, Check("q3", 1, N_("encode: unknown words and empty text"), _judge_all(
        ids, [[], vocab.encode(phrase)], same=lambda got, want: list(map(int, got)) == want, label=N_("q3 example"))))
    short = [[int(v) for v in rng.integers(1, 50, size=2)], [int(v) for v in rng.integers(1, 50, size=5)]]
    ids = add("q4ex", [{"call": "pad", "args": [short, 3]}])
    checks.insert(q4_at + 1, Check("q4", 1, N_("pad: the example"), _judge_all(
        ids, [pad_sequences(short, 3)], same=lambda g, w: np.array_equal(np.asarray(g), w), label=N_("q4 example"))))
    rebind = {"after": r"^\s*train_texts\s*=", "values": {"train_texts": train, "test_texts": test}}
    return Challenge("a1_data_preparation", probes, first_checks + checks, rebind=rebind)


def _q5_types(answers: dict, ids: list[str], p90: int) -> tuple[bool, str | LazyText]:
    """Types and range, on the secret training reviews: ``maxlen_90`` must be their 90th percentile
    (an int and a share typed in score nothing)."""
    try:
        maxlen, share = _get(answers, ids[0]), _get(answers, ids[1])
    except AnswerMissing as exc:
        return False, LazyText("q5: {reason}", reason=exc.text)  # layout only
    ok = isinstance(maxlen, int) and not isinstance(maxlen, bool) and isinstance(share, float) and 0 < share < 0.2 \
        and maxlen == p90
    return ok, LazyText(N_("q5 types") if ok else N_("q5: maxlen_90 must be an int and share_truncated a float in (0, 0.2)"))


# ----------------------------------------------------------------------------- assignment 2

def _a2(rng: np.random.Generator) -> Challenge:
    from .reference import A2_PROFILE, a2_vocabulary, heldout

    x, y = heldout(int(rng.integers(2**31)))
    probes = [{"id": "model", "model": "model"}]
    checks = [
        Check("q1", 1, N_("one probability per review from one GRU/LSTM of 32 units"), lambda a: _a2_model(a, "shape")),
        Check("q1", 2, N_("the specification: parameters, cuDNN-eligible, mask, loss"), lambda a: _a2_model(a, "spec")),
        Check("q2", 2, N_("held-out accuracy >= 0.70"), lambda a: _a2_accuracy(a, y, 0.70)),
        Check("q2", 2, N_("held-out accuracy >= 0.76"), lambda a: _a2_accuracy(a, y, 0.76)),
    ]
    return Challenge("a2_recurrent_classifier", probes, checks, model_check={
        "x": x, "vocab_size": len(a2_vocabulary()), "maxlen": A2_PROFILE.maxlen})


def _a2_model(answers: dict, part: str) -> tuple[bool, LazyText]:
    """Judged on what the grader's own check read from the exported model (``$model``), never on
    what the sandbox says about it."""
    report = answers.get("$model")
    if not isinstance(report, dict):
        return False, LazyText(N_("q1: no model was exported (keep the trained model in `model`)"))
    if report.get("unsafe"):
        return False, LazyText(N_("q1: the model was not loaded: {reasons}"),
                               reasons=markdown_safe("; ".join(map(str, report["unsafe"][:20]))[:QUOTE_LIMIT], QUOTE_LIMIT))
    facts = report.get("facts", {})
    if part == "shape":
        ok = facts.get("output_units") == 1 and facts.get("recurrent") == 1 and facts.get("units") == 32
        return ok, LazyText(N_("q1: one GRU/LSTM of 32 units, one output") if ok else
                            N_("q1: expected one GRU/LSTM of 32 units and one output"))
    spec = report.get("spec", [])
    if not spec:
        return True, LazyText(N_("q1: matches the specification"))
    return False, LazyText(N_("q1: expected {spec}"), spec=markdown_safe("; ".join(map(str, spec[:20]))[:QUOTE_LIMIT],
                                                                          QUOTE_LIMIT))


def _a2_accuracy(answers: dict, y: np.ndarray, threshold: float) -> tuple[bool, LazyText]:
    """Accuracy computed here, from scores the grader's own process computed on held-out reviews."""
    scores = answers.get("$scores")
    if not isinstance(scores, np.ndarray) or scores.shape != y.shape or not np.all(np.isfinite(scores)):
        return False, LazyText(N_("q2: no usable scores on the held-out reviews"))
    accuracy = classification_metrics(y, scores)["accuracy"]
    return accuracy >= threshold, LazyText(N_("q2: held-out accuracy {accuracy} (needs {threshold})"),
                                           accuracy=round(float(accuracy), 3), threshold=threshold)


# ----------------------------------------------------------------------------- assignment 3

def a3_data() -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The labels and scores the a3 notebook builds (seed 2024), recomputed here."""
    rng = np.random.default_rng(2024)
    y_true = rng.integers(0, 2, size=2000)
    noise = {"bag_of_words": 0.9, "lstm": 0.7, "bigru": 0.55}
    scores = {name: 1 / (1 + np.exp(-(2 * y_true - 1) * 1.6 - rng.normal(0, s * 2, size=y_true.size)))
              for name, s in noise.items()}
    return y_true, scores


A3_METRICS = ["accuracy", "precision", "recall", "f1", "cohen_kappa"]


def a3_secret_data(rng: np.random.Generator) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """Labels and scores like the a3 notebook's, drawn with the grading run's secret: the report
    is graded on these (a table copied from the example data scores nothing)."""
    size = int(rng.integers(1500, 2500))
    y_true = rng.integers(0, 2, size=size)
    scores = {}
    for name in ("bag_of_words", "lstm", "bigru"):
        noise = float(rng.uniform(0.8, 2.0))
        scores[name] = np.round(1 / (1 + np.exp(-(2 * y_true - 1) * 1.6 - rng.normal(0, noise, size=size))), 6)
    return y_true, scores


def _a3(rng: np.random.Generator) -> Challenge:
    # Every point is earned on inputs drawn with the secret: the notebook's public example typed in,
    # or a dictionary with the right keys and made-up values, scores nothing.
    probes, checks = [], []
    def keys(g, w):
        return isinstance(g, dict) and sorted(g) == sorted(A3_METRICS)

    cases = []
    for i in range(5):
        y, s = rng.integers(0, 2, 300), rng.random(300)
        cases.append((f"q1r{i}", y, s, 0.5))
    for i, t in enumerate((0.3, 0.5, 0.7)):
        y, s = rng.integers(0, 2, 300), rng.random(300)
        cases.append((f"q1t{i}", y, s, t))
    for pid, y, s, t in cases:
        probes.append({"id": pid, "call": "compute_metrics", "args": [{"$array": y.tolist()}, {"$array": s.tolist()}],
                       "kwargs": {"threshold": t}})
    def close(keys):
        return lambda g, w: all(_numeric_close(g[k], w[k]) for k in keys)

    random_ids = [c[0] for c in cases[:5]]
    checks.append(Check("q1", 1, N_("compute_metrics: the keys"), _judge_all(
        random_ids, [classification_metrics(y, s) for _, y, s, _ in cases[:5]],
        same=lambda g, w: keys(g, w) and close(["accuracy"])(g, w), label=N_("q1 keys"))))
    checks.append(Check("q1", 2, N_("compute_metrics matches the reference on new data"), _judge_all(
        random_ids, [classification_metrics(y, s) for _, y, s, _ in cases[:5]],
        same=close(["accuracy", "precision", "recall", "f1"]), label=N_("q1 hidden"))))
    checks.append(Check("q1", 1, N_("Cohen's kappa at several thresholds"), _judge_all(
        [c[0] for c in cases[5:]], [classification_metrics(y, s, threshold=t) for _, y, s, t in cases[5:]],
        same=close(["cohen_kappa"]), label=N_("q1 kappa"))))
    y_true, scores = a3_secret_data(rng)
    rebind = {"after": r"^\s*y_true\s*=", "values": {
        "y_true": {"$array": y_true.tolist()}, "scores": {k: {"$array": v.tolist()} for k, v in scores.items()}}}
    probes.append({"id": "report", "value": "report"})
    checks.append(Check("q2", 1, N_("report: one row per model, METRICS as columns"), _judge_all(
        ["report"], [None], same=lambda g, _: _a3_shape(g, scores) and _a3_values(g, y_true, scores, every=False),
        label=N_("q2 shape"))))
    checks.append(Check("q2", 2, N_("report: the values"), _judge_all(["report"], [None], same=lambda g, _: _a3_values(g, y_true, scores),
                                                                   label=N_("q2 values"))))
    probes.append({"id": "fig", "value": "fig"})
    # the notebook's small example, with labels and scores drawn with the secret (drawn last: the
    # inputs above stay as they were)
    small_y, small_s = np.array([1, 0] + rng.integers(0, 2, 6).tolist()), np.round(rng.random(8), 3)
    probes.append({"id": "q1ex", "call": "compute_metrics", "args": [{"$array": small_y.tolist()},
                                                                     {"$array": small_s.tolist()}]})
    checks.insert(1, Check("q1", 1, N_("compute_metrics: the small example"), _judge_all(
        ["q1ex"], [classification_metrics(small_y, small_s)["accuracy"]],
        same=lambda g, w: _numeric_close(g["accuracy"], w), label=N_("q1 example"))))
    # A figure is judged on its data: its bars must be the report's metrics on the secret data
    # (a summary typed into answers.json, or bars of made-up heights, scores nothing).
    metrics = [classification_metrics(y_true, scores[name])[m] for name in scores for m in A3_METRICS]
    checks.append(Check("q3", 1, N_("fig is a figure"), _judge_all(["fig"], [None], same=lambda g, _: (
        "$figure" in g and len(g["$figure"]) >= 1 and _bars_show(g["$figure"][0], metrics)), label=N_("q3 figure"))))
    checks.append(Check("q3", 1, N_("fig: every bar and both axis labels"), _judge_all(["fig"], [None], same=lambda g, _: (
        g["$figure"][0]["bars"] >= len(scores) * len(A3_METRICS) and g["$figure"][0]["xlabel"] and g["$figure"][0]["ylabel"]
        and _bars_show(g["$figure"][0], metrics)), label=N_("q3 bars"))))
    return Challenge("a3_metrics_report", probes, checks, rebind=rebind)


def _bars_show(axes: dict, values: list[float], tolerance: float = 1e-6) -> bool:
    """Whether the bars of ``axes`` (their heights, as the harness read them) show every one of
    ``values``: each value matched by a bar of its own."""
    heights = sorted(axes.get("heights", []))
    if len(heights) < len(values):
        return False
    used = [False] * len(heights)
    for value in sorted(values):
        for i, height in enumerate(heights):
            if not used[i] and abs(height - value) <= tolerance:
                used[i] = True
                break
        else:
            return False
    return True


def _a3_shape(answer, scores: dict) -> bool:
    """One row per model, named as the models are, and METRICS as the columns, in order."""
    if not isinstance(answer, dict) or "$frame" not in answer:
        return False
    frame = answer["$frame"]
    return sorted(frame["index"]) == sorted(scores) and frame["columns"] == A3_METRICS


def _a3_values(answer: dict, y_true, scores, every: bool = True) -> bool:
    """Every model's row holds the reference metrics (rows matched by name): a table missing a
    model, or with no rows, fails. ``every=False``: at least one row does (the table was computed)."""
    if not isinstance(answer, dict) or "$frame" not in answer:
        return False
    frame = answer["$frame"]
    if sorted(frame["index"]) != sorted(scores) or sorted(frame["columns"]) != sorted(A3_METRICS):
        return False
    matches = []
    for row, name in zip(frame["data"], frame["index"]):
        expected = classification_metrics(y_true, scores[name])
        matches.append(all(_numeric_close(v, expected[c]) for v, c in zip(row, frame["columns"])))
    return bool(matches) and (all(matches) if every else any(matches))


BUILDERS = {"a1_data_preparation": _a1, "a2_recurrent_classifier": _a2, "a3_metrics_report": _a3}


def challenge(assignment: str, seed: int | None = None) -> Challenge:
    """A fresh challenge for ``assignment``; ``seed`` defaults to a secret drawn now."""
    if assignment not in BUILDERS:
        raise ValueError(f"Unknown assignment {assignment!r}; choose one of {sorted(BUILDERS)}.")
    rng = np.random.default_rng(secrets.randbits(64) if seed is None else seed)
    return BUILDERS[assignment](rng)


def score(challenge: Challenge, answers: dict, edition: str = "en") -> tuple[dict[str, float], list[str]]:
    """Points per question (each clamped to its maximum) and one feedback line per check,
    written for a reader of ``edition`` (``"en"`` or ``"es"``: checked by the caller)."""
    maxima = QUESTIONS[challenge.assignment]
    points = {q: 0.0 for q in maxima}
    lines = []
    for check in challenge.checks:
        try:
            ok, message = check.judge(answers)
        except Exception as exc:  # noqa: BLE001 - a malformed answer never crashes the scorer
            ok, message = False, LazyText(N_("{label}: unusable answer ({error})"), label=check.question,
                                          error=type(exc).__name__)
        if ok:
            points[check.question] += check.points
        lines.append(feedback_line(check, ok, message, edition))
    return {q: min(float(p), float(maxima[q])) for q, p in points.items()}, lines


def feedback_line(check: Check, ok: bool, message: object, edition: str = "en") -> str:
    """``- ✔ q1 · name (2 points)``, or ``- ✘ ...: why``, in ``edition``. The check's name and
    a plain-string message are looked up whole in the catalogue (unknown text stays as it is);
    a ``LazyText`` is rendered."""
    worth = ngettext("({points} point)", "({points} points)", 1 if check.points == 1 else 2, edition=edition)
    head = f"- {'✔' if ok else '✘'} {check.question} · {translated_label(check.name, edition=edition)} " \
           + worth.format(points=render(float(check.points), edition))
    if ok:
        return head
    why = render(message, edition) if isinstance(message, LazyText) else \
        str(translated_label(message, edition=edition))
    return f"{head}: {why}"
