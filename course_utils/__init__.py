"""course_utils: the tested helpers behind the RNN-on-IMDB workbook.

Modules, one per concern: ``config`` (profiles), ``data`` (the dataset), ``synthetic``
(a tiny fake corpus), ``text`` (tokenization and padding), ``pipeline`` (profile -> arrays),
``models``, ``training``, ``evaluation`` (metrics and records), ``experiment`` (train,
evaluate, record), ``plots``, ``embeddings`` (GloVe), ``eda``, ``probes`` (why models behave
as they do), ``baselines`` (TF-IDF), ``search`` (random search), ``notebook`` (the setup
cell), ``runner`` (executing notebooks), ``nbclean``, ``validation``, ``grading`` (otter),
``bench`` (costs), ``progress`` and ``fileio``.
"""
import os as _os

# Keep TensorFlow's C++ start-up chatter out of notebook outputs (set before Keras loads TF).
_os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

__version__ = "0.1.0"
