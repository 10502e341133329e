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
from course_utils.i18n import N_, fmt_number, gettext
from .validation import BEST_SEED_MEAN_TARGET, BEST_TARGET, TARGETS

START, END = "<!-- results:start (make outputs writes this table) -->", "<!-- results:end -->"

#: What each committed model is, in the words of the notebook that trains it.
DESCRIPTIONS = {
    "tfidf_logreg": N_("TF-IDF 1–2-grams + logistic regression (reference)"),
    "bigru": N_("bidirectional GRU, GloVe fine-tuned"),
    "gru": N_("GRU, GloVe fine-tuned"),
    "bigru_2x": N_("stacked bidirectional GRU (2 layers)"),
    "lstm": N_("LSTM, GloVe fine-tuned"),
    "bigru_learned": N_("bidirectional GRU, embedding learned from scratch"),
    "dense": N_("Dense (GloVe embedding fine-tuned, pooling)"),
    "glove_frozen": N_("bidirectional GRU, GloVe frozen"),
    "simplernn": "SimpleRNN",
    "majority": N_("majority class"),
}

#: The Spanish README's table (README.es.md): its header and the line under it.
_HEADER_ES = N_("| model | notebook | accuracy | F1 | ROC-AUC | accuracy over seeds (runs: mean ± sd) |")
_RUN_ES = N_("Committed run: seed 42, {backend} backend, profile `{profile}`. Which accuracy targets it meets, "
             "and how the best neural model compares with the TF-IDF reference: see the same table in "
             "[README.md](README.md#results-full-profile-official-25000-review-test-set) (in English).")


def spanish_results_block(edition: str = "es") -> str:
    """README.es.md's block: the same table as :func:`results_block`'s, its labels in ``edition``'s
    language and its numbers in that edition's typography."""
    records = results.summary()
    def n(x: float) -> str:
        return fmt_number(x, 3, edition=edition)
    lines = [gettext(_HEADER_ES, edition=edition), "| --- | --- | ---: | ---: | ---: | --- |"]
    for model, row in records.iterrows():
        seeds = "" if pd.isna(row["seed_runs"]) else f"{int(row['seed_runs'])}: {n(row['seed_mean'])} ± {n(row['seed_sd'])}"
        lines.append(f"| {gettext(DESCRIPTIONS.get(model, model), edition=edition)} | {row['notebook'][:2]} | "
                     f"{n(row['accuracy'])} | {n(row['f1'])} | {n(row['roc_auc'])} | {seeds} |")
    first = records.drop(index=["tfidf_logreg", "majority"], errors="ignore").iloc[0]
    return "\n".join([*lines, "", gettext(_RUN_ES, edition=edition).format(backend=first["backend"],
                                                                           profile=first["profile"])])


def results_block() -> str:
    """The Markdown between the markers: the table, and which targets the committed run meets."""
    records = results.summary()
    lines = ["| model | notebook | accuracy | F1 | ROC-AUC | accuracy over seeds (runs: mean ± sd) |",
             "| --- | --- | ---: | ---: | ---: | --- |"]
    for model, row in records.iterrows():
        seeds = "" if pd.isna(row["seed_runs"]) else f"{int(row['seed_runs'])}: {row['seed_mean']:.3f} ± {row['seed_sd']:.3f}"
        lines.append(f"| {gettext(DESCRIPTIONS.get(model, model), edition='en')} | {row['notebook'][:2]} | {row['accuracy']:.3f} | "
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
    """Rewrite README's results block from the committed results (README.es.md's in Spanish);
    True if it changed."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if START not in text or END not in text:
        raise ValueError(f"{path} has no results block: add the lines {START!r} and {END!r} where the table goes.")
    head, rest = text.split(START, 1)
    _, tail = rest.split(END, 1)
    block = spanish_results_block() if path.name == "README.es.md" else results_block()
    new = f"{head}{START}\n{block}\n{END}{tail}"
    if new != text:
        write_text_atomic(path, new)
    return new != text


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("readme", nargs="*", default=["README.md", "README.es.md"])
    args = parser.parse_args(argv)
    for readme in args.readme:
        changed = update(readme)
        print(f"{readme}: results table {'updated' if changed else 'already up to date'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
