"""README's results table, generated from the committed results so it never drifts from them.

``python -m course_tools.readme`` rewrites the block between the two markers in
README.md from ``course_utils/results/`` (the committed run's records and the seed table);
``make outputs`` and ``make seeds`` call it, and a test fails when README and the results disagree.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pandas as pd

from course_utils import results
from course_utils.fileio import write_text_atomic
from .validation import BEST_SEED_MEAN_TARGET, BEST_TARGET, TARGETS

START, END = "<!-- results:start (make outputs writes this table) -->", "<!-- results:end -->"

#: What each committed model is, in the words of the notebook that trains it.
DESCRIPTIONS = {
    "tfidf_logreg": "TF-IDF 1–2-grams + logistic regression (reference)",
    "bigru": "bidirectional GRU, GloVe fine-tuned",
    "gru": "GRU, GloVe fine-tuned",
    "bigru_2x": "stacked bidirectional GRU (2 layers)",
    "lstm": "LSTM, GloVe fine-tuned",
    "bigru_learned": "bidirectional GRU, embedding learned from scratch",
    "dense": "Dense (GloVe embedding fine-tuned, pooling)",
    "glove_frozen": "bidirectional GRU, GloVe frozen",
    "simplernn": "SimpleRNN",
    "majority": "majority class",
}


def results_block() -> str:
    """The Markdown between the markers: the table, and which targets the committed run meets."""
    records = results.summary()
    lines = ["| model | notebook | accuracy | F1 | ROC-AUC | accuracy over seeds (runs: mean ± sd) |",
             "| --- | --- | ---: | ---: | ---: | --- |"]
    for model, row in records.iterrows():
        seeds = "" if pd.isna(row["seed_runs"]) else f"{int(row['seed_runs'])}: {row['seed_mean']:.3f} ± {row['seed_sd']:.3f}"
        lines.append(f"| {DESCRIPTIONS.get(model, model)} | {row['notebook'][:2]} | {row['accuracy']:.3f} | "
                     f"{row['f1']:.3f} | {row['roc_auc']:.3f} | {seeds} |")
    neural = records.drop(index=["tfidf_logreg", "majority"], errors="ignore")
    met = [f"{m} ≥ {t}" for m, t in TARGETS.items() if m in records.index and records.loc[m, "accuracy"] >= t]
    missed = [f"{m} ≥ {t}" for m, t in TARGETS.items() if m in records.index and records.loc[m, "accuracy"] < t]
    best = neural["accuracy"].idxmax()
    best_line = (f"best neural model ≥ {BEST_TARGET} (`{best}`, {neural.loc[best, 'accuracy']:.3f})"
                 if neural.loc[best, "accuracy"] >= BEST_TARGET else
                 f"best neural model ≥ {BEST_TARGET} **missed** (`{best}`, {neural.loc[best, 'accuracy']:.3f})")
    best_runs, best_mean = neural.loc[best, "seed_runs"], neural.loc[best, "seed_mean"]
    if pd.notna(best_mean):
        seed_line = (f"its mean over {int(best_runs)} seeds ≥ {BEST_SEED_MEAN_TARGET} ({best_mean:.3f})"
                     if best_mean >= BEST_SEED_MEAN_TARGET else
                     f"its mean over {int(best_runs)} seeds ≥ {BEST_SEED_MEAN_TARGET} **missed** ({best_mean:.3f})")
        best_line += f", {seed_line}"
    versus = ""
    if "tfidf_logreg" in records.index:
        diff = neural.loc[best, "accuracy"] - records.loc["tfidf_logreg", "accuracy"]
        versus = (" The best neural model is level with the TF-IDF reference (less than 0.05 points apart)."
                  if round(abs(diff) * 100, 1) == 0 else
                  f" The best neural model is {abs(diff) * 100:.1f} points "
                  f"{'above' if diff > 0 else 'below'} the TF-IDF reference.")
    first = neural.iloc[0]
    return "\n".join([
        *lines, "",
        f"Committed run: seed 42, {first['backend']} backend, profile `{first['profile']}`. Accuracy targets met: "
        + ", ".join(met + [best_line]) + (f"; missed: {', '.join(missed)}" if missed else "") + "." + versus,
    ])


def update(path: str | Path) -> bool:
    """Rewrite README's results block from the committed results; True if it changed."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise ValueError(f"{path} has no results block: add the lines {START!r} and {END!r} where the table goes.")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    new = f"{head}{START}\n{results_block()}\n{END}{tail}"
    if new != text:
        write_text_atomic(path, new)
    return new != text


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("readme", nargs="?", default="README.md")
    args = parser.parse_args(argv)
    changed = update(args.readme)
    print(f"{args.readme}: results table {'updated' if changed else 'already up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
