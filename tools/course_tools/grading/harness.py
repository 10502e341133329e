"""What runs *inside* the sandbox: execute a student's notebook, then answer the challenge.

``python -m course_tools.grading.harness NOTEBOOK CHALLENGE OUT_DIR``

The student's cells run first, in a Jupyter kernel (this environment's ``python3``), with
errors allowed so one broken cell costs only what depends on it. Then one more cell, added
here, calls the student's functions on the challenge's inputs and writes what they return as
plain data (``answers.json``, NumPy ``.npy`` files): no test and no expected answer is ever in
the sandbox, and nothing written here is trusted by the scorer beyond being data.
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

#: Per-answer cap (characters of JSON); longer answers are replaced by an error.
ANSWER_LIMIT = 2_000_000


def to_plain(value, depth: int = 0):
    """A JSON-safe copy of ``value`` (NumPy, pandas and figures summarised as plain data)."""
    import numpy as np

    if depth > 6:
        raise ValueError("nested too deeply")
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return {"$array": value.tolist(), "dtype": str(value.dtype), "shape": list(value.shape)}
    if isinstance(value, (list, tuple)):
        return [to_plain(v, depth + 1) for v in value]
    if isinstance(value, dict):
        return {"$dict": [[to_plain(k, depth + 1), to_plain(v, depth + 1)] for k, v in value.items()]}
    module = type(value).__module__
    if module.startswith("pandas") and hasattr(value, "to_dict") and hasattr(value, "columns"):
        return {"$frame": {"index": [to_plain(i) for i in value.index], "columns": [str(c) for c in value.columns],
                           "data": to_plain(value.to_numpy().tolist(), depth + 1)}}
    if module.startswith("matplotlib") and hasattr(value, "axes"):
        return {"$figure": [{"xlabel": ax.get_xlabel(), "ylabel": ax.get_ylabel(),
                             "bars": sum(1 for p in ax.patches if p.get_height() > 0),
                             "heights": [float(p.get_height()) for p in ax.patches
                                         if hasattr(p, "get_height") and np.isfinite(p.get_height())][:1_000]}
                            for ax in value.axes]}
    return {"$type": f"{module}.{type(value).__name__}"}


def _resolve(arg, namespace):
    """A challenge argument as the student's function receives it: a named variable of the
    notebook (``{"$var": name}``), a NumPy array (``{"$array": values}``) or the value itself."""
    import numpy as np

    if isinstance(arg, dict) and set(arg) == {"$var"}:
        return namespace[arg["$var"]]
    if isinstance(arg, dict) and set(arg) == {"$array"}:
        return np.asarray(arg["$array"])
    return arg


def _model_probe(model, probe: dict, out_dir: Path) -> dict:
    """Export the trained model (``model.keras``): the grader checks and evaluates it outside."""
    model.save(out_dir / "model.keras")
    return {"exported": "model.keras"}


def delegation(function, package: str = "course_utils") -> list[str]:
    """What of ``package`` a student's function is or calls by a global name (advisory: the
    assignment asks for the student's own code, and the reference is ``package``)."""
    import types

    found = []
    module = getattr(function, "__module__", None) or ""
    if module == package or module.startswith(package + "."):
        found.append(f"is {module}.{getattr(function, '__qualname__', '?')}")
        return found
    code, names = getattr(function, "__code__", None), dict(getattr(function, "__globals__", {}))
    if isinstance(code, types.CodeType) and getattr(function, "__closure__", None):
        for name, cell in zip(code.co_freevars, function.__closure__):
            try:
                names[name] = cell.cell_contents
            except ValueError:  # an empty cell
                pass
    stack = [code] if isinstance(code, types.CodeType) else []
    while stack:
        current = stack.pop()
        stack.extend(c for c in current.co_consts if isinstance(c, types.CodeType))
        for name in current.co_names + current.co_freevars:
            target = names.get(name)
            origin = (getattr(target, "__name__", "") if isinstance(target, types.ModuleType)
                      else getattr(target, "__module__", "") or "")
            if isinstance(origin, str) and (origin == package or origin.startswith(package + ".")):
                found.append(f"calls {name} ({origin})")
    return sorted(set(found))[:5]


def answer_challenge(namespace: dict, challenge_path: str, out_dir: str) -> None:
    """Call the student's names as the challenge asks; write ``answers.json`` (runs in the kernel)."""
    out = Path(out_dir)
    out.mkdir(exist_ok=True)
    challenge = json.loads(Path(challenge_path).read_text(encoding="utf-8"))
    answers: dict[str, dict] = {}
    advice: dict[str, list[str]] = {}
    for probe in challenge["probes"]:
        try:
            if "model" in probe:
                result = _model_probe(namespace[probe["model"]], probe, out)
            elif "value" in probe:
                result = to_plain(namespace[probe["value"]])
            else:
                function = namespace[probe["call"]]
                if probe["call"] not in advice:
                    advice[probe["call"]] = delegation(function)
                args = [_resolve(a, namespace) for a in probe.get("args", [])]
                kwargs = {k: _resolve(v, namespace) for k, v in probe.get("kwargs", {}).items()}
                result = to_plain(function(*args, **kwargs))
            text = json.dumps(result)
            answers[probe["id"]] = {"ok": result} if len(text) <= ANSWER_LIMIT else {"error": "answer too large"}
        except KeyError as exc:
            answers[probe["id"]] = {"error": f"not defined: {exc}"}
        except BaseException as exc:  # noqa: BLE001 - a student's error is an answer, not a crash
            answers[probe["id"]] = {"error": f"{type(exc).__name__}: {str(exc)[:300]}"}
    answers["_delegation"] = {name: found for name, found in advice.items() if found}
    (out / "answers.json").write_text(json.dumps(answers), encoding="utf-8")


def rebind(namespace: dict, challenge_path: str) -> None:
    """Replace the notebook's example data with the challenge's (drawn with the class secret),
    so that the cells after it compute their values on data the submission could not know."""
    import numpy as np

    def decode(value):
        if isinstance(value, dict) and set(value) == {"$array"}:
            return np.asarray(value["$array"])
        if isinstance(value, dict):
            return {k: decode(v) for k, v in value.items()}
        return value
    challenge = json.loads(Path(challenge_path).read_text(encoding="utf-8"))
    for name, value in challenge.get("rebind", {}).get("values", {}).items():
        namespace[name] = decode(value)


REBIND_CELL = """# Added by the grader: the example data above, replaced by data drawn for this grading run.
from course_tools.grading.harness import rebind as _course_rebind
_course_rebind(globals(), {challenge!r})"""


def insert_rebind(nb, challenge: dict, challenge_path: str) -> bool:
    """Insert the rebind cell after the first code cell matching ``challenge["rebind"]["after"]``."""
    import re

    import nbformat

    spec = challenge.get("rebind")
    if not spec:
        return False
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and re.search(spec["after"], str(cell.source), flags=re.M):
            nb.cells.insert(index + 1, nbformat.v4.new_code_cell(REBIND_CELL.format(challenge=challenge_path)))
            return True
    return False


PROBE_CELL = """# Added by the grader: answer the challenge (no test or answer is in this sandbox).
from course_tools.grading.harness import answer_challenge as _course_answer_challenge
_course_answer_challenge(globals(), {challenge!r}, {out!r})"""


def main(argv=None) -> int:
    import nbformat
    from nbclient import NotebookClient

    notebook, challenge, out = (argv or sys.argv[1:])[:3]
    out_dir = Path(out)
    out_dir.mkdir(exist_ok=True)
    nb = nbformat.read(notebook, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    insert_rebind(nb, json.loads(Path(challenge).read_text(encoding="utf-8")), challenge)
    nb.cells.append(nbformat.v4.new_code_cell(PROBE_CELL.format(challenge=challenge, out=out)))
    start = time.perf_counter()
    client = NotebookClient(nb, timeout=None, kernel_name="python3", allow_errors=True,
                            resources={"metadata": {"path": str(Path(notebook).parent)}})
    client.execute()
    errors = [{"cell": i, "error": f"{o.get('ename', '')}: {str(o.get('evalue', ''))[:300]}"}
              for i, cell in enumerate(nb.cells) if cell.cell_type == "code"
              for o in cell.get("outputs", []) if o.get("output_type") == "error"]
    (out_dir / "run.json").write_text(json.dumps({"errors": errors, "seconds": time.perf_counter() - start}),
                                      encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
