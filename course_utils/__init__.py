"""course_utils: the tested helpers behind the RNN-on-IMDB workbook.

What students call sits at the top: ``config`` (profiles), ``data`` (the dataset), ``text``
(tokenization and padding), ``pipeline`` (profile -> arrays), ``models`` (the answer key of the
models the notebooks write in Keras), ``layers`` (the one course layer), ``training``, ``evaluation`` (metrics and records), ``experiment`` (train,
evaluate, record), ``reviews`` (typed reviews, honestly scored), ``plots``, ``embeddings`` (GloVe), ``eda``, ``probes`` (why models behave
as they do), ``behaviour`` (CheckList-style checks), ``narrative`` (computed prose),
``baselines`` (TF-IDF), ``tuning`` (KerasTuner: random search, Hyperband), ``notebook`` (the session start),
``results`` (the committed run), ``progress`` and ``fileio``. The instructor's tooling has
rooms of its own: ``workbook`` (runner, setup cells, nbclean, validation, seeds, bench, tune) and
``grading`` (sandboxed batch grading, reference answers).
"""
import importlib.util as _util
import os as _os
import sys as _sys

# Keep TensorFlow's C++ start-up chatter out of notebook outputs (set before Keras loads TF).
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


class _QuietLoader:
    """Runs the real loader of ``tensorflow`` (or of ``keras``, which imports it) with the
    process's stderr silenced, and lets TensorFlow look for GPUs while it still is.

    TensorFlow >= 2.21 logs through absl before ``TF_CPP_MIN_LOG_LEVEL`` is read ("All log
    messages before absl::InitializeLog()...", "failed call to cuInit"), straight to file
    descriptor 2, which Jupyter shows in the notebook. Python errors still raise normally.
    """

    def __init__(self, loader):
        self.loader = loader

    def create_module(self, spec):  # noqa: D102 (importlib protocol)
        return self.loader.create_module(spec)

    def exec_module(self, module):  # noqa: D102
        module.__loader__ = module.__spec__.loader = self.loader  # the module keeps its own loader
        try:
            saved, null = _os.dup(2), _os.open(_os.devnull, _os.O_WRONLY)
        except OSError:  # no usable file descriptor 2: import as usual
            self.loader.exec_module(module)
            return
        try:
            _os.dup2(null, 2)
            self.loader.exec_module(module)
            if "tensorflow" in _sys.modules:
                _sys.modules["tensorflow"].config.list_physical_devices()  # the CUDA probe logs here
        finally:
            _os.dup2(saved, 2)
            _os.close(saved)
            _os.close(null)


class _QuietTensorFlowImport:
    """An import hook: the first ``import keras`` or ``import tensorflow`` loads TF quietly.

    TensorFlow is imported only by the modules that need it (models, training, ...), so
    ``course_utils.text`` or ``course_utils.eda`` load in a fraction of a second. With another
    Keras backend, ``keras`` loads as usual and TensorFlow, where installed, is still imported
    later (``keras.utils.set_random_seed`` seeds it too): that import is the quiet one.
    """

    def find_spec(self, name, path=None, target=None):  # noqa: D102 (importlib protocol)
        if path is not None or name not in ("keras", "tensorflow"):
            return None
        if name == "keras" and _os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow":
            return None  # keras does not load TF on this backend; wait for TF's own import
        _sys.meta_path[:] = [f for f in _sys.meta_path if f is not self]  # once is enough
        if "tensorflow" in _sys.modules:
            return None
        spec = _util.find_spec(name)
        if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
            spec.loader = _QuietLoader(spec.loader)
        return spec


if not any(type(f).__name__ == "_QuietTensorFlowImport" for f in _sys.meta_path):
    _sys.meta_path.insert(0, _QuietTensorFlowImport())

__version__ = "0.2.0"
