"""Notebook 09's behavioural checks as a record, so that a run without trained models can show
the committed full run's, labelled as such (as the comparison table already does).

The full run's notebook 09 writes its record (:func:`save`) into the output folder; ``make
outputs`` copies it to ``course_utils/results/behaviour_checks.json``, which travels with the
package. Notebook 09 run alone (Colab, or an output folder where 03–07 have not run) then shows
that record through :func:`for_notebook` instead of an empty section.

The record is small: the failure rate of every check for every model, the checks'
capabilities, and a few failing sentences per check and model (what 09 displays), not every
scored sentence.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from .fileio import write_json_atomic
from .i18n import N_, _

#: The committed full run's record (written by ``make outputs``).
COMMITTED = Path(__file__).resolve().parent / "results" / "behaviour_checks.json"
THIS_RUN, COMMITTED_RUN = N_("this run"), N_("committed full run")
EXAMPLE_COLUMNS = ("check", "text", "variant", "expected", "p", "p_variant")


@dataclass(frozen=True)
class BehaviourRecord:
    """Failure rates (checks × models), capabilities and failing examples of one run.

    Attributes
    ----------
    rates : pandas.DataFrame
        Share of failed sentences, one row per check (in the suite's order), one column per model.
    capabilities : dict of str to str
        Each check's capability (negation, contrast, ...).
    examples : dict of str to pandas.DataFrame
        Per model, up to a few failing sentences per check (``behaviour.failing_examples``).
    source : str
        ``"this run"`` or ``"committed full run"``.
    profile : str
        The profile the models were trained in.
    """

    rates: pd.DataFrame
    capabilities: dict[str, str]
    examples: dict[str, pd.DataFrame] = field(default_factory=dict)
    source: str = THIS_RUN
    profile: str = ""

    @property
    def models(self) -> list[str]:
        """The models checked, in the record's order."""
        return list(self.rates.columns)


def from_checks(checked: Mapping[str, pd.DataFrame], checks: Sequence, *, profile: str = "",
                n: int = 2) -> BehaviourRecord:
    """The record of this run's checks (``checked[model]`` from ``behaviour.run_checks``).

    Parameters
    ----------
    checked : mapping of str to pandas.DataFrame
        Each model's per-sentence results.
    checks : sequence of behaviour.Check
        The suite that was run (for the capabilities).
    profile : str
        The profile of this run.
    n : int
        Failing sentences kept per check and model.

    Returns
    -------
    BehaviourRecord
        With ``source`` "this run".
    """
    from .behaviour import failing_examples, failure_rates

    return BehaviourRecord(rates=failure_rates(dict(checked)), capabilities={c.name: c.capability for c in checks},
                           examples={m: failing_examples(frame, n=n) for m, frame in checked.items()},
                           source=THIS_RUN, profile=profile)


def _plain(value):
    if isinstance(value, (float, np.floating)):
        return None if not np.isfinite(value) else float(value)
    return value


def save(record: BehaviourRecord, path: str | os.PathLike) -> Path:
    """Write ``record`` as JSON (atomically); :func:`load` reads it back.

    Parameters
    ----------
    record : BehaviourRecord
        The record to write.
    path : path
        The JSON file to write.

    Returns
    -------
    pathlib.Path
        The file written.
    """
    data = {"profile": record.profile, "checks": list(record.rates.index), "models": record.models,
            "capabilities": record.capabilities,
            "rates": {m: [_plain(v) for v in record.rates[m]] for m in record.rates.columns},
            "examples": {m: [{k: _plain(v) for k, v in row.items()}
                             for row in frame[list(EXAMPLE_COLUMNS)].to_dict("records")]
                         for m, frame in record.examples.items()}}
    return write_json_atomic(path, data)


def load(path: str | os.PathLike = COMMITTED, *, source: str = COMMITTED_RUN) -> BehaviourRecord | None:
    """The record at ``path`` (by default the committed full run's), or None if there is none."""
    path = Path(path)
    if not path.is_file():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))
    rates = pd.DataFrame({m: pd.Series(data["rates"][m], index=data["checks"], dtype=float) for m in data["models"]})
    rates.index.name = "check"
    from .behaviour import expected_labels

    examples = {m: pd.DataFrame(rows, columns=list(EXAMPLE_COLUMNS)).astype({"p": float, "p_variant": float})
                for m, rows in sorted(data["examples"].items(), key=lambda item: data["models"].index(item[0]))}
    examples = {m: frame.assign(expected=expected_labels(frame["expected"])) for m, frame in examples.items()}
    return BehaviourRecord(rates=rates, capabilities=dict(data["capabilities"]), examples=examples, source=source,
                           profile=data.get("profile", ""))


def for_notebook(checked: Mapping[str, pd.DataFrame], checks: Sequence, *, profile: str = "",
                 committed: str | os.PathLike = COMMITTED) -> BehaviourRecord | None:
    """This run's record where this run checked a model, else the committed full run's (None if
    neither exists).

    Parameters
    ----------
    checked : mapping of str to pandas.DataFrame
        This run's per-sentence results, per model (empty when no model is trained here).
    checks : sequence of behaviour.Check
        The suite.
    profile : str
        This run's profile.
    committed : str or PathLike
        Where the committed record is.

    Returns
    -------
    BehaviourRecord or None
    """
    if checked:
        return from_checks(checked, checks, profile=profile)
    return load(committed)


def notice(record: BehaviourRecord | None) -> str:
    """The sentence that says whose checks a section shows (empty for this run's own).

    Parameters
    ----------
    record : BehaviourRecord or None
        The record a section shows (None: this run's own checks).

    Returns
    -------
    str
        Markdown; empty for this run's own checks.
    """
    if record is None:
        return _("No trained model in this output folder, and no committed behavioural checks: run notebooks "
                 "03–07 first.")
    if record.source == THIS_RUN:
        return ""
    return _("No model of notebooks 03–07 is trained in this output folder, so these are the behavioural checks of "
             "the **committed full run** ({profile} profile, models {models}), not of this run. Run notebooks "
             "03–07 to check your own models.").format(profile=record.profile or "full",
                                                       models=", ".join(f"`{m}`" for m in record.models))


def heatmap_title(record: BehaviourRecord) -> str | None:
    """The failure heatmap's title: None (the default) for this run's checks, one naming the
    committed full run for its record.

    Parameters
    ----------
    record : BehaviourRecord
        The record the heatmap shows.

    Returns
    -------
    str or None
        None for this run's checks, else a title naming the committed full run.
    """
    if record.source == THIS_RUN:
        return None
    return _("Behavioural checks of the committed full run: failure rate (%)")
