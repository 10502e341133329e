"""Reuse what a notebook trained: a key for everything that decides a model's weights, the
trained model stored under that key, and training that resumes after an interruption.

A notebook run again with the same settings (profile, seed, backend, data, the code and
package versions that decide the weights) loads its trained model and history instead of
training: re-executing the course to change a sentence or a figure then costs minutes. The key
is a SHA-256 over the model's architecture and compile settings, its *initial* weights (which
carry the seed and any pretrained vectors), the training arrays, the fit settings, the source
of the course modules whose code runs in training (their syntax trees without
docstrings: a comment edit keeps the key), and the versions of Keras, its backend and
NumPy. ``$COURSE_RETRAIN=1`` always trains (``make validate``, ``make outputs`` and ``make seeds``
set it).
"""
from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from collections.abc import Mapping

import keras
import numpy as np

from .config import ENV_RETRAIN
from .fileio import write_json_atomic

MODELS_SUBDIR = "models"
BACKUP_SUBDIR = "backup"
#: Modules whose code runs while a model trains; their source is part of every key. The
#: modules of the model's own layers (e.g. ``course_utils.models``) are added per model.
TRAINING_MODULES = ("course_utils.training", "course_utils.batching")


def retrain_requested() -> bool:
    """True when ``$COURSE_RETRAIN`` asks every notebook to train instead of reusing."""
    return os.environ.get(ENV_RETRAIN, "").strip().lower() in {"1", "true", "yes"}


def package_versions() -> dict[str, str]:
    """Keras, its backend's library, NumPy and the device kind: the versions that decide weights."""
    backend = keras.backend.backend()
    versions = {"keras": keras.__version__, "backend": backend, "numpy": np.__version__}
    module = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}.get(backend)
    if module is not None and module in sys.modules:
        versions[module] = getattr(sys.modules[module], "__version__", "?")
    versions["device"] = _device_kind(backend)
    return versions


def _device_kind(backend: str) -> str:
    """``"gpu"`` or ``"cpu"``: the same seed trains other weights on another device."""
    try:
        if backend == "tensorflow":
            import tensorflow as tf
            return "gpu" if tf.config.list_logical_devices("GPU") else "cpu"
        if backend == "jax":
            import jax
            return jax.default_backend()
        if backend == "torch":
            import torch
            return "gpu" if torch.cuda.is_available() else "cpu"
    except Exception:  # a backend that cannot answer: the key simply says so
        return "unknown"
    return "cpu"


def code_digest(model: keras.Model) -> str:
    """SHA-256 of the code of the course modules that run while ``model`` trains.

    Each module counts through :func:`source_digest`, its syntax tree without docstrings, so
    a comment, a docstring or a formatting edit keeps every stored model while a change to the
    code itself (a constant, an operator, a default) retrains the models it could affect.

    Parameters
    ----------
    model : keras.Model
        The model about to train; the modules of its course layers count beside
        :data:`TRAINING_MODULES`.

    Returns
    -------
    str
        A 64-character hex digest.
    """
    names = set(TRAINING_MODULES)
    for layer in _all_layers(model):
        module = type(layer).__module__
        if module.startswith("course_utils"):
            names.add(module)
    digest = hashlib.sha256()
    for name in sorted(names):
        path = getattr(sys.modules.get(name), "__file__", None)
        digest.update(name.encode())
        digest.update(source_digest(Path(path).read_text(encoding="utf-8")).encode() if path else b"<no source>")
    return digest.hexdigest()


_DOCUMENTED = (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)


def source_digest(source: str) -> str:
    """SHA-256 of Python ``source`` as code: comments, docstrings and layout do not count.

    The source is parsed, the docstring of the module and of every class and function is
    dropped (a body left empty becomes ``pass``, which is what it then means) and the tree is
    dumped without line and column numbers. Comments and formatting never reach the tree.
    The dump's form follows the running Python's ``ast`` module, so another Python version
    may give another digest (a retrain, never a wrong reuse).

    Parameters
    ----------
    source : str
        The text of a Python module.

    Returns
    -------
    str
        A 64-character hex digest.

    Raises
    ------
    SyntaxError
        If ``source`` is not valid Python.
    """
    tree = ast.parse(source)
    for node in ast.walk(tree):
        if isinstance(node, _DOCUMENTED) and node.body and _is_docstring(node.body[0]):
            node.body = node.body[1:] or [ast.Pass()]
    return hashlib.sha256(ast.dump(tree, annotate_fields=True, include_attributes=False).encode()).hexdigest()


def _is_docstring(statement: ast.stmt) -> bool:
    return (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)
            and isinstance(statement.value.value, str))


def _all_layers(model: keras.Model):
    seen = []
    stack = list(getattr(model, "layers", []))
    while stack:
        layer = stack.pop()
        seen.append(layer)
        stack.extend(getattr(layer, "layers", []) or [])
        for attr in ("layer", "forward_layer", "backward_layer", "cell"):  # wrappers
            inner = getattr(layer, attr, None)
            if isinstance(inner, keras.layers.Layer):
                stack.append(inner)
    return seen


def training_key(model: keras.Model, x: np.ndarray, y: np.ndarray, settings: Mapping[str, Any]) -> str:
    """A hex key that changes whenever the trained weights could.

    Parameters
    ----------
    model : keras.Model
        The compiled, *untrained* model (its initial weights are part of the key).
    x, y : numpy.ndarray
        The training inputs and labels.
    settings : mapping
        Everything else that decides training: epochs, batch size, seed, validation fraction,
        early-stopping settings... (JSON-serialisable).
    """
    digest = hashlib.sha256()
    compile_config = canonical_names(model.get_compile_config()) if hasattr(model, "get_compile_config") else None
    header = {"architecture": canonical_names(json.loads(model.to_json())), "compile": compile_config,
              "settings": dict(settings), "versions": package_versions(), "code": code_digest(model)}
    digest.update(json.dumps(header, sort_keys=True, default=repr).encode())
    for weight in model.weights:
        digest.update(np.ascontiguousarray(keras.ops.convert_to_numpy(weight)).tobytes())
    for array in (x, y):
        array = np.ascontiguousarray(array)
        digest.update(f"{array.dtype}{array.shape}".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()


def canonical_names(config: Any) -> Any:
    """``config`` with every layer name made independent of Keras's name counters.

    A builder called twice in one kernel names its layers ``gru_cell`` and then ``gru_cell_1``;
    the same architecture must give the same key. Each name loses its counter and gets its
    order of first appearance instead, so a real difference (another layer, another order)
    still changes the result.
    """
    names: list[str] = []

    def collect(node):
        if isinstance(node, dict):
            for key in sorted(node):
                if key == "name" and isinstance(node[key], str) and node[key] not in names:
                    names.append(node[key])
                collect(node[key])
        elif isinstance(node, list):
            for item in node:
                collect(item)

    collect(config)
    canonical = {name: f"{re.sub(r'_[0-9]+$', '', name)}#{i}" for i, name in enumerate(names)}

    def rename(node):
        if isinstance(node, dict):
            return {key: rename(value) for key, value in node.items()}
        if isinstance(node, list):
            return [rename(item) for item in node]
        return canonical.get(node, node) if isinstance(node, str) else node

    return rename(config)


@dataclass(frozen=True)
class StoredModel:
    """Where a trained model and its key live under a notebook's output folder."""

    output_dir: Path
    name: str

    @property
    def model_path(self) -> Path:
        return self.output_dir / MODELS_SUBDIR / f"{self.name}.keras"

    @property
    def key_path(self) -> Path:
        return self.output_dir / MODELS_SUBDIR / f"{self.name}.key.json"

    def backup_dir(self, key: str) -> Path:
        """Where an interrupted training of this model under ``key`` keeps its last epoch."""
        return self.output_dir / BACKUP_SUBDIR / f"{self.name}-{key[:16]}"

    def stored_key(self) -> dict | None:
        """The key file's content if the model and its key are both there, else None."""
        if not (self.model_path.is_file() and self.key_path.is_file()):
            return None
        try:
            data = json.loads(self.key_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) and isinstance(data.get("key"), str) else None

    def matches(self, key: str) -> dict | None:
        """The stored entry if it was trained under ``key`` (and no retrain is asked), else None."""
        if retrain_requested():
            return None
        entry = self.stored_key()
        return entry if entry is not None and entry["key"] == key else None

    def save(self, model: keras.Model, key: str, **info: Any) -> None:
        """Save the model, then its key (last: an interrupted save leaves no usable entry)."""
        self.key_path.unlink(missing_ok=True)
        self.model_path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{self.name}.", suffix=".part.keras", dir=self.model_path.parent)
        os.close(fd)
        try:
            model.save(tmp)
            os.replace(tmp, self.model_path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        write_json_atomic(self.key_path, {"key": key, **info})

    def load(self) -> keras.Model:
        """The stored model (the course's layers are registered, so no custom objects needed)."""
        return keras.models.load_model(self.model_path)
