"""Assignment 2's model, judged by the grader: checked as data, then evaluated in a separate,
limited process on held-out reviews the student's code never sees.

The sandbox exports the trained model (``model.keras``). Outside it, :func:`evaluate` copies
that file (read without following links, size-bounded) into a fresh folder with the held-out
inputs and runs ``python -m course_tools.grading.modelcheck`` in a sandbox of its own. That
process reads ``config.json`` from the archive as bounded JSON and checks it against the
specification **before** building anything (a few kB of configuration may claim a
4,000,000-word embedding), then loads the model in Keras's safe mode with built-in layers
only, and writes its scores on the held-out inputs. The accuracy is computed by the grader.
"""
from __future__ import annotations

import json
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

#: Layers a submission's model may contain (Keras built-ins; no Lambda, no custom class).
ALLOWED_LAYERS = frozenset({"InputLayer", "Embedding", "GRU", "LSTM", "Dense", "Dropout", "SpatialDropout1D"})
#: Modules a serialised object may come from: Keras's own.
ALLOWED_MODULES = frozenset({"keras", "keras.layers", "keras.initializers", "keras.regularizers", "keras.constraints",
                             "keras.optimizers", "keras.losses", "keras.metrics", "keras.activations",
                             "keras.src.models.functional", "keras.optimizers.schedules"})
ARCHIVE_MEMBERS = frozenset({"config.json", "metadata.json", "model.weights.h5"})
ARCHIVE_LIMIT = 64 << 20  # bytes of model.keras
CONFIG_LIMIT = 1 << 20  # bytes of config.json
MAX_PARAMS = 2_000_000  # a model above this is not built
SPEC_UNITS, SPEC_EMBEDDING = 32, 32


def read_config(path: str | Path) -> dict:
    """``config.json`` of a ``.keras`` archive, read as bounded JSON (nothing else is opened).

    Raises
    ------
    ValueError
        If the file is not such an archive, holds other members, or its configuration is too large.
    """
    from .safefiles import loads_bounded

    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise ValueError(f"not a .keras archive ({type(exc).__name__})") from None
    with archive:
        names = {info.filename for info in archive.infolist()}
        if "config.json" not in names or not names <= ARCHIVE_MEMBERS:
            raise ValueError("a .keras archive holds config.json, metadata.json and model.weights.h5 only")
        info = archive.getinfo("config.json")
        if info.file_size > CONFIG_LIMIT:
            raise ValueError(f"config.json larger than {CONFIG_LIMIT:,} bytes")
        with archive.open(info) as handle:
            raw = handle.read(CONFIG_LIMIT + 1)
    if len(raw) > CONFIG_LIMIT:
        raise ValueError(f"config.json larger than {CONFIG_LIMIT:,} bytes")
    config = loads_bounded(raw, max_depth=24)
    if not isinstance(config, dict):
        raise ValueError("config.json is not a mapping")
    return config


def _objects(node, found: list) -> list:
    """Every serialised object (a mapping with ``class_name``) in a configuration."""
    if isinstance(node, dict):
        if "class_name" in node:
            found.append(node)
        for value in node.values():
            _objects(value, found)
    elif isinstance(node, list):
        for value in node:
            _objects(value, found)
    return found


def _recurrent_params(kind: str, inputs: int, units: int, reset_after: bool) -> int:
    gates = 3 if kind == "GRU" else 4
    biases = (2 if kind == "GRU" and reset_after else 1) * units
    return gates * (units * (inputs + units) + biases)


def check_config(config: dict, *, vocab_size: int, maxlen: int) -> dict:
    """Check a model's configuration against assignment 2's specification, as data.

    Returns ``{"unsafe": [...], "spec": [...], "facts": {...}}``: ``unsafe`` problems mean the
    model must not be built (unknown code, sizes out of bounds); ``spec`` problems cost the
    specification's points; ``facts`` are what was read (kind, units, parameters, loss).
    """
    unsafe: list[str] = []
    spec: list[str] = []
    facts: dict[str, Any] = {}
    for obj in _objects(config, []):
        module, name, registered = obj.get("module"), obj.get("class_name"), obj.get("registered_name")
        if module is not None and module not in ALLOWED_MODULES:
            unsafe.append(f"an object from module {str(module)[:60]!r}: only Keras's built-ins are loaded")
        if registered not in (None, name):
            unsafe.append(f"a registered (custom) object {str(registered)[:60]!r}")
    inner = config.get("config")
    model_config = inner if isinstance(inner, dict) else {}
    layers = model_config.get("layers")
    if config.get("class_name") not in ("Sequential", "Functional") or not isinstance(layers, list):
        return {"unsafe": unsafe + ["not a Sequential or Functional Keras model"], "spec": spec, "facts": facts}
    for layer in layers:
        if not isinstance(layer, dict) or layer.get("class_name") not in ALLOWED_LAYERS \
                or not isinstance(layer.get("config"), dict):
            name = layer.get("class_name") if isinstance(layer, dict) else type(layer).__name__
            unsafe.append(f"layer {str(name)[:60]!r} is not one of {sorted(ALLOWED_LAYERS)}")
    if unsafe:
        return {"unsafe": sorted(set(unsafe)), "spec": spec, "facts": facts}
    by_kind = {kind: [layer["config"] for layer in layers if layer["class_name"] == kind] for kind in ALLOWED_LAYERS}
    embeddings, dense = by_kind["Embedding"], by_kind["Dense"]
    recurrent = [(layer["class_name"], layer["config"]) for layer in layers if layer["class_name"] in ("GRU", "LSTM")]
    params = 0
    for emb in embeddings:
        dims = emb.get("input_dim"), emb.get("output_dim")
        if not all(isinstance(d, int) and not isinstance(d, bool) and 0 < d <= 10 * vocab_size for d in dims):
            unsafe.append(f"an Embedding of {str(dims[0])[:20]} x {str(dims[1])[:20]}: out of bounds for "
                          f"{vocab_size:,} words")
        else:
            params += dims[0] * dims[1]
    width = embeddings[-1].get("output_dim") if embeddings and not unsafe else None
    for kind, rec in recurrent:
        units = rec.get("units")
        if not (isinstance(units, int) and not isinstance(units, bool) and 0 < units <= 1024) or not isinstance(width, int):
            unsafe.append(f"a {kind} of {str(units)[:20]} units: out of bounds")
            continue
        params += _recurrent_params(kind, width, units, bool(rec.get("reset_after", True)))
        width = units
    for layer in dense:
        units = layer.get("units")
        if not (isinstance(units, int) and not isinstance(units, bool) and 0 < units <= 1024) or not isinstance(width, int):
            unsafe.append(f"a Dense of {str(units)[:20]} units: out of bounds")
            continue
        params += (width + (1 if layer.get("use_bias", True) else 0)) * units
        width = units
    if params > MAX_PARAMS:
        unsafe.append(f"{params:,} parameters, more than {MAX_PARAMS:,}")
    if unsafe:
        return {"unsafe": unsafe, "spec": spec, "facts": facts}
    kind, rec = recurrent[0] if recurrent else (None, {})
    loss = ((config.get("compile_config") or {}).get("loss") if isinstance(config.get("compile_config"), dict) else None)
    loss_name = loss.get("class_name") if isinstance(loss, dict) else loss
    facts = {"params": params, "kind": kind and kind.lower(), "recurrent": len(recurrent), "units": rec.get("units"),
             "output_units": dense[-1].get("units") if dense else None,
             "output_activation": dense[-1].get("activation") if dense else None,
             "vocab_size": embeddings[0].get("input_dim") if embeddings else None, "loss": str(loss_name)[:100]}
    if len(embeddings) != 1 or embeddings[0].get("input_dim") != vocab_size or \
            embeddings[0].get("output_dim") != SPEC_EMBEDDING or embeddings[0].get("mask_zero") is not True:
        spec.append(f"one Embedding of VOCAB_SIZE ({vocab_size:,}) words into {SPEC_EMBEDDING} dimensions, mask_zero=True")
    if len(recurrent) != 1 or rec.get("units") != SPEC_UNITS:
        spec.append(f"one GRU or LSTM of {SPEC_UNITS} units")
    elif rec.get("recurrent_dropout") != 0 or rec.get("activation") != "tanh" or \
            rec.get("recurrent_activation") != "sigmoid" or rec.get("unroll") or not rec.get("use_bias", True) or \
            (kind == "GRU" and rec.get("reset_after") is not True):
        spec.append("the recurrent layer must stay cuDNN-eligible (tanh, sigmoid gates, no recurrent_dropout)")
    if not dense or dense[-1].get("units") != 1 or dense[-1].get("activation") != "sigmoid" or width != 1:
        spec.append("a Dense(1, activation='sigmoid') output")
    inputs = by_kind["InputLayer"]
    if inputs and inputs[0].get("batch_shape") not in ([None, maxlen], None):
        spec.append(f"inputs of length MAXLEN ({maxlen})")
    if "binary_crossentropy" not in str(loss_name).lower().replace("binarycrossentropy", "binary_crossentropy"):
        spec.append("compiled with binary cross-entropy")
    return {"unsafe": unsafe, "spec": spec, "facts": facts}


def main(argv=None) -> int:
    """``python -m course_tools.grading.modelcheck MODEL X OUT VOCAB_SIZE MAXLEN``: check, then
    (only if safe) load and score; writes ``OUT/check.json`` and ``OUT/scores.npy``."""
    model_path, x_path, out, vocab_size, maxlen = (argv or sys.argv[1:])[:5]
    out_dir = Path(out)
    try:
        report = check_config(read_config(model_path), vocab_size=int(vocab_size), maxlen=int(maxlen))
    except ValueError as exc:
        report = {"unsafe": [str(exc)[:300]], "spec": [], "facts": {}}
    report["built"] = False
    if not report["unsafe"]:
        import keras

        model = keras.saving.load_model(model_path, safe_mode=True, compile=True)
        if int(model.count_params()) != report["facts"]["params"]:
            report["unsafe"].append("the built model's parameters differ from its configuration's")
        else:
            x = np.load(x_path, allow_pickle=False)
            scores = np.asarray(model.predict(x, batch_size=256, verbose=0), dtype="float32").reshape(-1)
            np.save(out_dir / "scores.npy", scores, allow_pickle=False)
            optimizer = getattr(model, "optimizer", None)
            iterations = getattr(optimizer, "iterations", None)
            report["facts"]["iterations"] = int(np.asarray(iterations)) if iterations is not None else None
            report["built"] = True
    (out_dir / "check.json").write_text(json.dumps(report), encoding="utf-8")
    return 0


def evaluate(answers_dir: Path, x: np.ndarray, *, vocab_size: int, maxlen: int, folder: Path, pristine: Path,
             limits, unsafe: bool = False) -> dict:
    """Copy the exported model out of ``answers_dir`` and check and score it in a separate
    sandbox; returns ``{"$model": report, "$scores": array}`` (no ``$scores`` if not built)."""
    import os

    from . import sandbox
    from .safefiles import UnsafeFile, load_npy, read_json, read_regular

    try:
        raw = read_regular("model.keras", ARCHIVE_LIMIT, base=answers_dir)
    except UnsafeFile as exc:
        return {"$model": {"unsafe": [f"no exported model: {exc}"], "spec": [], "facts": {}, "built": False}}
    work = folder / "modelcheck"
    work.mkdir()
    (work / "model.keras").write_bytes(raw)
    np.save(work / "heldout.npy", x, allow_pickle=False)
    inside = sandbox.WORK if not unsafe else str(work)
    env = {"PYTHONPATH": "/opt/course" if not unsafe else str(pristine), "PYTHONDONTWRITEBYTECODE": "1",
           "TF_CPP_MIN_LOG_LEVEL": "3", "KERAS_BACKEND": os.environ.get("KERAS_BACKEND", "tensorflow"),
           "CUDA_VISIBLE_DEVICES": ""}
    run = sandbox.run([sys.executable, "-m", "course_tools.grading.modelcheck", f"{inside}/model.keras",
                       f"{inside}/heldout.npy", inside, str(vocab_size), str(maxlen)], work=work,
                      read_only={"/opt/course": pristine}, env=env, limits=limits, unsafe=unsafe,
                      keep=("check.json", "scores.npy"))
    try:
        report = read_json("check.json", 1 << 20, base=work)
        report = report if isinstance(report, dict) else {}
    except UnsafeFile:
        report = {}
    if not report:
        report = {"unsafe": [f"the model could not be checked (exit code {run.returncode}"
                             f"{', timed out' if run.timed_out else ''})"], "spec": [], "facts": {}, "built": False}
    result: dict[str, Any] = {"$model": report}
    if report.get("built"):
        try:
            result["$scores"] = load_npy("scores.npy", 8 << 20, base=work).astype(float).reshape(-1)
        except UnsafeFile:
            pass
    return result


if __name__ == "__main__":
    sys.exit(main())
