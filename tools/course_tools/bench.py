"""``make bench``: what each model of the workbook costs on this machine and backend.

For each architecture: seconds per training epoch at the full profile's settings (median and
spread over repetitions, after a warm-up), inference throughput, peak memory and parameters;
the data pipeline (cold and warm load, tokenizing 50k reviews); the same LSTM written as a
plain Keras script, to show the overhead of our helpers; how epoch time grows with the
share of the training set and the sequence length; each recurrent model (Keras's masked layers)
fed fixed ``maxlen`` batches against length buckets (``bucketing``), and the XLA compilations of bucketed training on
JAX (``jax_compiles``, when JAX is installed). Each measurement runs in a fresh process,
so peak memory belongs to one model. Results go to Markdown, CSV and a plot.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from course_utils import config
from course_utils.fileio import atomic_path, write_text_atomic

ARCHITECTURES = ("dense", "simple_rnn", "lstm", "gru", "bigru", "glove_bigru")


def _summary(seconds: Sequence[float]) -> dict[str, float]:
    return {"median_s": round(statistics.median(seconds), 3), "min_s": round(min(seconds), 3),
            "max_s": round(max(seconds), 3), "reps": len(seconds)}


def _peak_mib() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)  # Linux: KiB


def _encoded(profile: config.Profile, fraction: float, maxlen: int):
    from course_utils.pipeline import prepare
    _, enc = prepare(profile, maxlen=maxlen)
    n = max(2, int(len(enc.y_train) * fraction))
    rows = np.random.default_rng(0).permutation(len(enc.y_train))[:n]
    return enc, enc.x_train[rows], enc.y_train[rows]


def _build(arch: str, profile: config.Profile, enc):
    """The model of ``arch`` as the notebooks build it (recurrent ones take any length: buckets)."""
    from course_utils import models, pipeline
    if arch == "dense":
        glove = pipeline.glove_matrix(enc, seed=profile.seed)
        return models.build_dense(len(enc.vocab), enc.maxlen, embedding_dim=glove.shape[1], embedding_matrix=glove,
                                  hidden_units=profile.dense_units, dropout=profile.dense_dropout,
                                  learning_rate=profile.dense_learning_rate)
    if arch == "glove_bigru":
        return models.build_bigru(len(enc.vocab), **profile.rnn_kwargs(**pipeline.embedding_init(profile, enc, kind="glove")))
    return _recurrent(arch, profile, len(enc.vocab), None)


def _plain_keras_lstm(vocab: int, maxlen: int, units: int, dim: int):
    """The same LSTM as ``models.build_lstm(head="last")``, written without course_utils."""
    import keras
    from keras import layers
    inputs = keras.Input(shape=(maxlen,), dtype="int32")
    x = layers.Embedding(vocab, dim, mask_zero=True)(inputs)
    x = layers.SpatialDropout1D(0.4)(x)
    x = layers.LSTM(units)(x)
    x = layers.Dropout(0.4)(x)
    model = keras.Model(inputs, layers.Dense(1, activation="sigmoid")(x))
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy",
                  metrics=["accuracy", keras.metrics.AUC(name="auc")])
    return model


def _fitter(arch: str, profile: config.Profile, enc, x, y):
    """The model for ``arch`` and a function that trains it for one epoch."""
    from course_utils import training
    if arch.startswith("plain_keras_lstm"):  # "..._steady": the same script inside steady_tf_input
        model = _plain_keras_lstm(len(enc.vocab), enc.maxlen, profile.rnn_units, profile.embedding_dim)
        x_tr, x_val, y_tr, y_val = training.validation_split(x, y, profile.validation_fraction, profile.seed)
        feed = training.steady_tf_input if arch.endswith("_steady") else contextlib.nullcontext

        def fit():
            with feed():
                model.fit(x_tr, y_tr, validation_data=(x_val, y_val), epochs=1,
                          batch_size=profile.batch_size, verbose=0)
        return model, fit
    if arch == "course_utils_lstm":
        from course_utils.models import build_lstm
        model = build_lstm(len(enc.vocab), enc.maxlen, **profile.rnn_kwargs(head="last"))
    else:
        model = _build(arch, profile, enc)
    return model, lambda: training.fit_model(model, x, y, epochs=1, batch_size=profile.batch_size,
                                             seed=profile.seed, verbose=False,
                                             validation_fraction=profile.validation_fraction)


def _timed(fit) -> float:
    start = time.perf_counter()
    fit()
    return time.perf_counter() - start


def measure_one(arch: str, *, profile_name: str = "full", fraction: float = 1.0, maxlen: int | None = None,
                reps: int = 3, warmup: int = 1, predict: bool = True) -> dict:
    """Time ``warmup + reps`` one-epoch fits of one architecture (in this process)."""
    from course_utils import training
    from course_utils.models import count_params
    profile = config.get_profile(profile_name)
    enc, x, y = _encoded(profile, fraction, maxlen or profile.maxlen)
    training.seed_everything(profile.seed)
    model, fit = _fitter(arch, profile, enc, x, y)
    seconds = [_timed(fit) for _ in range(warmup + reps)][warmup:]
    result = {"arch": arch, "train_reviews": len(y), "maxlen": enc.maxlen, "params": count_params(model),
              **_summary(seconds)}
    if predict:
        model.predict(enc.x_test[:512], batch_size=256, verbose=0)  # warm-up
        start = time.perf_counter()
        model.predict(enc.x_test, batch_size=256, verbose=0)
        result["reviews_per_s"] = round(len(enc.x_test) / (time.perf_counter() - start), 1)
    result["peak_mib"] = _peak_mib()
    return result


#: Models trained in turns in one process, the first arm being the plain Keras reference.
COMPARISONS = {
    # what course_utils' helpers add to a plain Keras script (and what steady input saves)
    "overhead": ("plain_keras_lstm", "plain_keras_lstm_steady", "course_utils_lstm"),
}


def measure_interleaved(comparison: str = "overhead", *, profile_name: str = "full", reps: int = 3,
                        warmup: int = 1) -> list[dict]:
    """Time the arms of one of :data:`COMPARISONS`, their epochs interleaved.

    The models live in one process and take turns (first, second, ..., first, ...), so a
    machine that slows down for a while (shared cloud cores) slows all alike. ``overhead``:
    ``plain_keras_lstm_steady`` is the plain script inside :func:`training.steady_tf_input`;
    ours against it is what our helpers add; plain against it is what the input fix saves.
    """
    from course_utils import training
    from course_utils.models import count_params
    if comparison not in COMPARISONS:
        raise ValueError(f"comparison must be one of {sorted(COMPARISONS)}, got {comparison!r}.")
    profile = config.get_profile(profile_name)
    enc, x, y = _encoded(profile, 1.0, profile.maxlen)
    training.seed_everything(profile.seed)
    arms = COMPARISONS[comparison]
    pairs = [_fitter(arch, profile, enc, x, y) for arch in arms]
    seconds: list[list[float]] = [[] for _ in arms]
    for i in range(warmup + reps):
        for j, (_, fit) in enumerate(pairs):
            took = _timed(fit)
            if i >= warmup:
                seconds[j].append(took)
    rows = [{"arch": arch, "train_reviews": len(y), "maxlen": enc.maxlen, "params": count_params(model),
             **_summary(times)}
            for arch, (model, _), times in zip(arms, pairs, seconds)]
    base = rows[0]
    for row in rows:
        row["ratio_to_plain"] = round(row["median_s"] / base["median_s"], 3)
        row["ratio_of_fastest"] = round(row["min_s"] / base["min_s"], 3)
    return rows


#: The recurrent architectures whose bucketed training ``bucketing`` compares with fixed batches.
BUCKETED_ARCHS = ("simple_rnn", "lstm", "gru", "bigru")


def _recurrent(arch: str, profile: config.Profile, vocab: int, maxlen: int | None):
    from course_utils import models
    kinds: dict[str, models.RecurrentKind] = {"simple_rnn": "simple_rnn", "lstm": "lstm", "gru": "gru", "bigru": "gru"}
    kind = kinds[arch]
    return models.build_recurrent(kind, vocab, maxlen, bidirectional=arch == "bigru", **profile.rnn_kwargs())


def measure_bucketing(arch: str = "gru", *, profile_name: str = "full", fraction: float = 1.0, reps: int = 3,
                      warmup: int = 1) -> list[dict]:
    """One recurrent architecture fed fixed ``maxlen`` batches against length buckets.

    Both arms are the same model (one built for a fixed length, one for any length, from the same
    seed), trained by ``training.fit_model`` on the same reviews, their epochs interleaved in one
    process. ``steps`` is the recurrent steps of one epoch (rows × batch length, summed).
    """
    from course_utils import training
    from course_utils.batching import LengthBuckets
    if arch not in BUCKETED_ARCHS:
        raise ValueError(f"arch must be one of {BUCKETED_ARCHS}, got {arch!r}.")
    profile = config.get_profile(profile_name)
    enc, x, y = _encoded(profile, fraction, profile.maxlen)
    arms = {}
    for arm, maxlen in (("fixed", enc.maxlen), ("bucketed", None)):
        training.seed_everything(profile.seed)
        model = _recurrent(arch, profile, len(enc.vocab), maxlen)
        arms[arm] = (model, lambda m=model: training.fit_model(
            m, x, y, epochs=1, batch_size=profile.batch_size, seed=profile.seed, verbose=False,
            validation_fraction=profile.validation_fraction))
    seconds: dict[str, list[float]] = {arm: [] for arm in arms}
    for i in range(warmup + reps):
        for arm, (_, fit) in arms.items():
            took = _timed(fit)
            if i >= warmup:
                seconds[arm].append(took)
    x_tr = training.validation_split(x, y, profile.validation_fraction, profile.seed)[0]
    buckets = LengthBuckets(x_tr, batch_size=profile.batch_size, seed=profile.seed)
    steps = {"fixed": int(x_tr.size), "bucketed": buckets.steps}
    from course_utils.models import count_params
    rows = [{"arch": arch, "feed": arm, "params": count_params(arms[arm][0]), "train_reviews": len(x_tr),
             "maxlen": enc.maxlen,
             "batch_size": profile.batch_size, "steps": steps[arm],
             "shapes": 1 if arm == "fixed" else len(buckets.shapes), **_summary(seconds[arm])}
            for arm in arms]
    for row in rows:
        row["ratio_to_fixed"] = round(row["median_s"] / rows[0]["median_s"], 3)
        row["steps_ratio"] = round(row["steps"] / rows[0]["steps"], 3)
    return rows


def measure_jax_compiles(arch: str = "gru", *, profile_name: str = "full", fraction: float = 0.25,
                         epochs: int = 2) -> dict:
    """XLA compilations in each epoch while one bucketed model trains ``epochs`` epochs (one ``fit``)
    on the JAX backend.

    Run with ``KERAS_BACKEND=jax`` (``run`` starts it so). JAX compiles one program per input
    shape; the buckets bound the shapes, so after the first epoch nothing new is compiled.
    """
    import keras
    if keras.backend.backend() != "jax":
        raise RuntimeError("measure_jax_compiles needs KERAS_BACKEND=jax.")
    import jax
    from course_utils import training
    from course_utils.batching import LengthBuckets
    compiles: list[float] = []

    def listen(event: str, duration_secs: float, **_: str | int) -> None:
        if event == "/jax/core/compile/backend_compile_duration":
            compiles.append(duration_secs)

    jax.monitoring.register_event_duration_secs_listener(listen)
    profile = config.get_profile(profile_name)
    enc, x, y = _encoded(profile, fraction, profile.maxlen)
    training.seed_everything(profile.seed)
    model = _recurrent(arch, profile, len(enc.vocab), None)
    seen: list[int] = []

    class CountCompiles(keras.callbacks.Callback):
        def on_epoch_end(self, epoch, logs=None):
            seen.append(len(compiles))

    training.fit_model(model, x, y, epochs=epochs, batch_size=profile.batch_size, seed=profile.seed,
                       verbose=False, validation_fraction=profile.validation_fraction, patience=epochs,
                       callbacks=[CountCompiles()])
    per_epoch = [b - a for a, b in zip([0, *seen], seen)]
    x_tr, x_val = training.validation_split(x, y, profile.validation_fraction, profile.seed)[:2]
    shapes = {"train": len(LengthBuckets(x_tr, batch_size=profile.batch_size, seed=profile.seed).shapes),
              "validation": len(LengthBuckets(x_val, batch_size=profile.batch_size, shuffle=False).shapes)}
    return {"arch": arch, "backend": "jax", "train_reviews": len(x_tr), "train_shapes": shapes["train"],
            "validation_shapes": shapes["validation"],
            **{f"compiles_epoch_{i + 1}": n for i, n in enumerate(per_epoch)},
            "compile_s": round(sum(compiles), 1)}


def measure_pipeline(reps: int = 3) -> list[dict]:
    """Cold load (archive), warm load (cache), tokenizing + encoding all 50k reviews, and
    reading the encoded arrays back from their cache (what a notebook does after the first)."""
    from course_utils.data import load_imdb
    from course_utils.pipeline import encode_cached
    from course_utils.text import encode_dataset
    rows = []
    cold = [_timed(lambda: load_imdb(use_cache=False, progress=False)) for _ in range(reps)]
    data = load_imdb(progress=False)  # makes sure the cache exists
    warm = [_timed(lambda: load_imdb(progress=False)) for _ in range(reps)]
    settings: dict[str, Any] = dict(vocab_size=20000, maxlen=256, drop_unknown=True)
    tok = [_timed(lambda: encode_dataset(data.train.text, data.train.label, data.test.text,
                                         data.test.label, **settings)) for _ in range(reps)]
    encode_cached(data, **settings)  # makes sure the encoded cache exists
    cached = [_timed(lambda: encode_cached(data, **settings)) for _ in range(reps)]
    for name, values in (("load: cold (archive)", cold), ("load: warm (cache)", warm),
                         ("tokenize + encode 50k reviews", tok),
                         ("encoded arrays: warm (cache)", cached)):
        rows.append({"step": name, **_summary(values)})
    return rows


def _in_subprocess(kind: str, *, backend: str | None = None, **kwargs) -> Any:  # the measure's JSON
    cmd = [sys.executable, "-m", "course_tools.bench", "_one", kind, json.dumps(kwargs)]
    env = {**os.environ, "KERAS_BACKEND": backend} if backend else None
    proc = subprocess.run(cmd, capture_output=True, text=True, env=env)
    if proc.returncode != 0:
        raise RuntimeError(f"benchmark {kind} {kwargs} failed:\n{proc.stderr[-2000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])


def environment() -> dict[str, str]:
    """Machine, backend and library versions the numbers belong to."""
    import keras
    info = {"machine": f"{platform.machine()} · {os.cpu_count()} cores · {platform.processor() or 'cpu'}",
            "python": platform.python_version(), "keras": keras.__version__,
            "backend": keras.backend.backend()}
    try:
        backend = __import__(info["backend"] if info["backend"] != "torch" else "torch")
        info[f"{info['backend']} version"] = getattr(backend, "__version__", "?")
    except ImportError:
        pass
    return info


def run(output_dir: str | os.PathLike = "bench", *, archs: Sequence[str] = ARCHITECTURES, reps: int = 3,
        warmup: int = 1, profile: str = "full", scaling: bool = True, pipeline: bool = True,
        fractions: Sequence[float] = (0.25, 0.5, 1.0), lengths: Sequence[int] = (128, 256, 512),
        scaling_archs: Sequence[str] = ("lstm", "gru"), bucketing: Sequence[str] = BUCKETED_ARCHS,
        bucketing_fraction: float = 1.0, jax_compiles: Sequence[str] = BUCKETED_ARCHS, comparisons: bool = True,
        stream=sys.stdout) -> dict[str, pd.DataFrame]:
    """Run the benchmarks and write ``results.md``, CSV files and ``scaling.png``."""
    out = Path(output_dir)
    tables: dict[str, pd.DataFrame] = {}
    common: dict[str, Any] = dict(profile_name=profile, reps=reps, warmup=warmup)

    def log(msg):
        print(msg, file=stream, flush=True)

    def keep(name: str, table: pd.DataFrame) -> None:  # on disk at once: a late error loses nothing
        tables[name] = table
        write_text_atomic(out / f"{name}.csv", table.to_csv(index=False))

    if pipeline:
        log("data pipeline ...")
        keep("pipeline", pd.DataFrame(_in_subprocess("pipeline", reps=reps)))
    rows = []
    for arch in archs:
        log(f"architecture {arch} ...")
        rows.append(_in_subprocess("model", arch=arch, **common))
        keep("models", pd.DataFrame(rows))
    for comparison, arms in (COMPARISONS.items() if comparisons else ()):
        log(f"{comparison}: {' vs '.join(arms)} ...")
        keep(comparison, pd.DataFrame(_in_subprocess("interleaved", comparison=comparison, **common)))
    brows: list[dict] = []
    for arch in bucketing:
        log(f"bucketing {arch}: fixed maxlen batches vs length buckets ...")
        brows += _in_subprocess("bucketing", arch=arch, fraction=bucketing_fraction, **common)
        keep("bucketing", pd.DataFrame(brows))
    if jax_compiles:
        import importlib.util
        if importlib.util.find_spec("jax") is None:
            log("jax compiles: skipped, JAX is not installed (pip install 'jax[cpu]')")
        else:
            jrows = []
            for arch in jax_compiles:
                log(f"jax compiles {arch} ...")
                jrows.append(_in_subprocess("jax_compiles", backend="jax", arch=arch, profile_name=profile,
                                            fraction=min(bucketing_fraction, 0.1)))
                keep("jax_compiles", pd.DataFrame(jrows))
    if scaling:
        default_len = config.get_profile(profile).maxlen
        points = [(f, default_len) for f in fractions] + [(1.0, m) for m in lengths if m != default_len]
        measured = {row["arch"]: row for row in rows}
        srows = []
        for arch in scaling_archs:
            for fraction, maxlen in points:
                if (fraction, maxlen) == (1.0, default_len) and arch in measured:  # in the table above
                    srows.append({"fraction": fraction, **{k: v for k, v in measured[arch].items()
                                                           if k != "reviews_per_s"}})
                    continue
                log(f"scaling {arch}: {fraction:.0%} of the training set, maxlen {maxlen} ...")
                srows.append({"fraction": fraction, **_in_subprocess(
                    "model", arch=arch, fraction=fraction, maxlen=maxlen, predict=False, **common)})
                keep("scaling", pd.DataFrame(srows))
    _write(out, tables, environment())
    return tables


def _write(out: Path, tables: dict[str, pd.DataFrame], env: dict[str, str]) -> None:
    lines = ["# Benchmark results", "", *(f"- **{k}**: {v}" for k, v in env.items()), ""]
    for name, table in tables.items():
        lines += [f"## {name}", "", table.to_markdown(index=False), ""]
    write_text_atomic(out / "results.md", "\n".join(lines))
    if "scaling" in tables:
        scale = tables["scaling"]
        import matplotlib.pyplot as plt
        fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
        for arch, group in scale.groupby("arch"):
            by_frac = group[group.maxlen == group[group.fraction == 1.0].maxlen.iloc[0]].sort_values("train_reviews")
            axes[0].plot(by_frac.train_reviews, by_frac.median_s, marker="o", label=arch)
            by_len = group[group.fraction == 1.0].sort_values("maxlen")
            axes[1].plot(by_len.maxlen, by_len.median_s, marker="o", label=arch)
        axes[0].set(xlabel="training reviews", ylabel="seconds per epoch", title="Epoch time vs data")
        axes[1].set(xlabel="maxlen (tokens)", ylabel="seconds per epoch", title="Epoch time vs sequence length")
        for ax in axes:
            ax.legend()
        with atomic_path(out / "scaling.png") as tmp:
            fig.savefig(tmp, format="png", bbox_inches="tight")
        plt.close(fig)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m course_tools.bench [--quick] [--archs lstm gru] [--reps 3] [--output bench]``."""
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ["_one"]:
        kind, kwargs = argv[1], json.loads(argv[2])
        measures: dict[str, Callable[..., Any]] = {
            "pipeline": measure_pipeline, "interleaved": measure_interleaved, "model": measure_one,
            "bucketing": measure_bucketing, "jax_compiles": measure_jax_compiles}
        result = measures[kind](**kwargs)
        print(json.dumps(result))
        return 0
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--output", default="bench")
    parser.add_argument("--archs", nargs="*", default=list(ARCHITECTURES), choices=ARCHITECTURES)
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--warmup", type=int, default=1)
    parser.add_argument("--profile", default="full", choices=sorted(config.PROFILES))
    parser.add_argument("--no-scaling", action="store_true")
    parser.add_argument("--quick", action="store_true", help="smoke profile, one repetition: checks the harness")
    parser.add_argument("--only", nargs="*",
                        choices=["pipeline", "models", "comparisons", "bucketing", "jax", "scaling"],
                        help="run only these parts (default: all)")
    parser.add_argument("--bucketing-fraction", type=float, default=1.0,
                        help="share of the training set for the bucketing comparison")
    args = parser.parse_args(argv)
    if args.quick:
        args.profile, args.reps, args.warmup = "smoke", 1, 0
    parts = set(args.only or ["pipeline", "models", "comparisons", "bucketing", "jax", "scaling"])
    run(args.output, archs=args.archs if "models" in parts else (), reps=args.reps, warmup=args.warmup,
        profile=args.profile, scaling="scaling" in parts and not args.no_scaling, pipeline="pipeline" in parts,
        comparisons="comparisons" in parts, bucketing=BUCKETED_ARCHS if "bucketing" in parts else (),
        jax_compiles=BUCKETED_ARCHS if "jax" in parts else (),
        bucketing_fraction=args.bucketing_fraction, lengths=(64, 128) if args.quick else (128, 256, 512))
    print(f"results: {Path(args.output) / 'results.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
