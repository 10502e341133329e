"""Behavioural checks in the spirit of CheckList (Ribeiro et al., 2020, "Beyond Accuracy").

Small template suites probe one capability each, on inputs built from templates and word
lists, not typed review by review:

- *expectation* tests (CheckList's MFT) know the right label of every sentence
  (negation, contrast, intensifiers);
- *invariance* tests (INV) pair each sentence with a variant that must not change the verdict
  (neutral filler around a clear sentence, a typo, another actor's name).

The PyPI package ``checklist`` (0.0.11, 2021) ships only a source archive that no longer
builds on current Python, so this small expander stands in for it.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import pandas as pd

from .text import valid_unicode

POSITIVE = ("good", "great", "excellent", "wonderful", "brilliant", "enjoyable")
NEGATIVE = ("bad", "terrible", "awful", "boring", "dull", "dreadful")
NOUNS = ("movie", "film", "story", "acting", "plot")
INTENSIFIERS = ("really", "extremely", "incredibly", "truly")
NAMES = (("Steven Seagal", "Meryl Streep"), ("Uwe Boll", "Steven Spielberg"), ("Ed Wood", "Orson Welles"))
FILLER = ("I watched it on a Tuesday evening with my cousin.", "It runs a little under two hours.",
          "The DVD came in a plain box.")


@dataclass(frozen=True)
class Check:
    """One behavioural test: sentences with expected labels, or pairs that must agree."""

    name: str
    capability: str
    kind: str  # "expect" or "invariant"
    texts: tuple[str, ...]
    labels: tuple[int, ...] = ()  # expect: 1 positive / 0 negative per text
    variants: tuple[str, ...] = ()  # invariant: the variant of each text

    def __post_init__(self) -> None:
        if self.kind not in ("expect", "invariant"):
            raise ValueError(f"kind must be 'expect' or 'invariant', got {self.kind!r}.")
        for field in ("texts", "variants"):  # cleaned before pandas/pyarrow ever sees them
            object.__setattr__(self, field, tuple(valid_unicode(t, f"{self.name}: a sentence")
                                                  for t in getattr(self, field)))
        other = self.labels if self.kind == "expect" else self.variants
        if len(other) != len(self.texts) or not self.texts:
            raise ValueError(f"{self.name}: {len(self.texts)} texts but {len(other)} labels/variants.")


def expand(template: str, **slots: Sequence[str]) -> list[str]:
    """Every filling of ``template``'s ``{slot}``s with the given words, in a stable order."""
    names = sorted(slots)
    return [template.format(**dict(zip(names, values)))
            for values in itertools.product(*(slots[n] for n in names))]


def _typo(word: str) -> str:
    """Swap the first two different neighbouring letters after the first (``great`` -> ``gerat``),
    a misspelling a reader still reads."""
    for i in range(1, len(word) - 1):
        if word[i] != word[i + 1]:
            return word[:i] + word[i + 1] + word[i] + word[i + 2:]
    return word + word[-1]


def default_suite() -> list[Check]:
    """The workbook's suite: six capabilities, a few dozen sentences each.

    Returns
    -------
    list of Check
        The checks, in the order the notebook reports them.
    """
    neg_pos = expand("The {noun} was not {adj}.", noun=NOUNS, adj=POSITIVE)
    neg_neg = expand("The {noun} was not {adj} at all.", noun=NOUNS, adj=NEGATIVE)
    contrast_up = expand("I expected the {noun} to be {bad}, but it was {good}.", noun=NOUNS[:3],
                         bad=NEGATIVE[:4], good=POSITIVE[:4])
    contrast_down = expand("I expected the {noun} to be {good}, but it was {bad}.", noun=NOUNS[:3],
                           bad=NEGATIVE[:4], good=POSITIVE[:4])
    strong_pos = expand("The {noun} was {very} {adj}.", noun=NOUNS, very=INTENSIFIERS, adj=POSITIVE[:3])
    strong_neg = expand("The {noun} was {very} {adj}.", noun=NOUNS, very=INTENSIFIERS, adj=NEGATIVE[:3])
    clear = expand("The {noun} was {adj}.", noun=NOUNS, adj=POSITIVE + NEGATIVE)
    filled = [f"{FILLER[i % len(FILLER)]} {s} {FILLER[(i + 1) % len(FILLER)]}" for i, s in enumerate(clear)]
    typo_base = expand("The {noun} was {adj}.", noun=NOUNS, adj=POSITIVE + NEGATIVE)
    typo_variant = expand("The {noun} was {adj}.", noun=NOUNS, adj=[_typo(w) for w in POSITIVE + NEGATIVE])
    name_base, name_variant = [], []
    for (a, b), adj in itertools.product(NAMES, POSITIVE[:3] + NEGATIVE[:3]):
        name_base.append(f"{a} is in it, and the movie is {adj}.")
        name_variant.append(f"{b} is in it, and the movie is {adj}.")
    return [
        Check("negated positive", "negation", "expect", tuple(neg_pos), (0,) * len(neg_pos)),
        Check("negated negative", "negation", "expect", tuple(neg_neg), (1,) * len(neg_neg)),
        Check("contrast: bad, but good", "contrast", "expect", tuple(contrast_up), (1,) * len(contrast_up)),
        Check("contrast: good, but bad", "contrast", "expect", tuple(contrast_down), (0,) * len(contrast_down)),
        Check("intensified", "intensifiers", "expect", tuple(strong_pos + strong_neg),
              (1,) * len(strong_pos) + (0,) * len(strong_neg)),
        Check("neutral filler", "robustness", "invariant", tuple(clear), variants=tuple(filled)),
        Check("typo in the sentiment word", "robustness", "invariant", tuple(typo_base),
              variants=tuple(typo_variant)),
        Check("names swapped", "fairness", "invariant", tuple(name_base), variants=tuple(name_variant)),
    ]


Scorer = Callable[[list[str]], np.ndarray]


def run_checks(score: Scorer, checks: Sequence[Check] | None = None, *,
               threshold: float = 0.5) -> pd.DataFrame:
    """Run every check with ``score`` (texts -> p(positive)); one row per sentence.

    Columns: check, capability, kind, text, variant, expected, p, p_variant, failed.
    An expectation fails when the verdict differs from the label; an invariance fails when
    the text and its variant get different verdicts.

    Parameters
    ----------
    score : Scorer
        Texts -> p(positive), e.g. :func:`model_scorer`'s.
    checks : sequence of Check, optional
        The checks to run (default: :func:`default_suite`).
    threshold : float, default 0.5
        A p at or above it is a positive verdict.

    Returns
    -------
    pandas.DataFrame
        One row per sentence, with the columns above.
    """
    checks = default_suite() if checks is None else list(checks)
    rows = []
    for check in checks:
        p = np.asarray(score(list(check.texts)), dtype=float).ravel()
        p_variant: np.ndarray | list[float]
        expected: list[float]
        if check.kind == "expect":
            failed = (p >= threshold).astype(int) != np.asarray(check.labels)
            variants, p_variant, expected = [""] * len(p), [np.nan] * len(p), list(check.labels)
        else:
            p_variant = np.asarray(score(list(check.variants)), dtype=float).ravel()
            failed = (p >= threshold) != (p_variant >= threshold)
            variants, expected = list(check.variants), [np.nan] * len(p)
        rows.append(pd.DataFrame({"check": check.name, "capability": check.capability, "kind": check.kind,
                                  "text": check.texts, "variant": variants, "expected": expected,
                                  "p": p, "p_variant": p_variant, "failed": failed}))
    return pd.concat(rows, ignore_index=True)


def failure_rates(results: Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """Share of failed sentences per check (rows) and model (columns), in the suite's order."""
    order = list(dict.fromkeys(next(iter(results.values()))["check"])) if results else []
    table = pd.DataFrame({model: frame.groupby("check", sort=False)["failed"].mean()
                          for model, frame in results.items()})
    return table.reindex(order)


def failing_examples(results: pd.DataFrame, n: int = 2) -> pd.DataFrame:
    """Up to ``n`` failing sentences per check, most confidently wrong first."""
    wrong = results[results["failed"]].copy()
    wrong["confidence"] = np.where(wrong["kind"] == "expect", (wrong["p"] - 0.5).abs(),
                                   (wrong["p"] - wrong["p_variant"]).abs())
    wrong = wrong.sort_values(["check", "confidence"], ascending=[True, False], kind="stable")
    columns = ["check", "text", "variant", "expected", "p", "p_variant"]
    examples = wrong.groupby("check", sort=False).head(n)[columns].reset_index(drop=True)
    return examples.assign(expected=expected_labels(examples["expected"]))


#: What an invariance check expects of one sentence: no label, the same verdict as its variant.
NO_LABEL = "—"


def expected_labels(values) -> list[str]:
    """Expected labels as a student reads them: ``"positive"`` (1), ``"negative"`` (0), and
    :data:`NO_LABEL` for an invariance check's sentence (NaN); labels already in words are kept."""
    def one(value) -> str:
        if isinstance(value, str):
            return value
        if value is None or (isinstance(value, float) and np.isnan(value)):
            return NO_LABEL
        return "positive" if int(value) == 1 else "negative"
    return [one(v) for v in values]



def model_scorer(model, encoded) -> Scorer:
    """A scorer (texts -> p(positive)) for a trained model and the encoding it was trained on.

    Parameters
    ----------
    model : keras.Model
        A trained classifier with one sigmoid output.
    encoded : EncodedData
        The encoding the model was trained on (its vocabulary and ``maxlen``).

    Returns
    -------
    Scorer
        A function from a list of texts to an array of p(positive).
    """
    from .experiment import predict_reviews

    return lambda texts: predict_reviews(model, encoded, list(texts))["p(positive)"].to_numpy(dtype=float)
