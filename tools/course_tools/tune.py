"""Distributed hyperparameter search on this machine: a KerasTuner chief and ``--workers`` workers.

``python -m course_tools.tune --workers 2`` (``make tune WORKERS=2``) starts one chief
process (it runs the oracle, a gRPC server on 127.0.0.1, and trains nothing) and ``n`` worker
processes (``KERASTUNER_TUNER_ID=tuner0 …``) that ask it for trials and train them. Their
output is streamed with a ``[chief]``/``[tunerK]`` prefix, one line per finished trial. When
every worker has finished, the chief is stopped (it would otherwise poll for up to 20 s) and
the best trial is reported; the trials table goes to ``<output-dir>/tuning/<tuner>-distributed/trials.csv``.

Any child that fails (a worker killed mid-trial, an exception), Ctrl-C, SIGTERM or
``--timeout`` stops every child (SIGTERM to its process group, SIGKILL after 5 s), reports the
best trial finished so far and exits non-zero. A worker that dies leaves its trial RUNNING in the
oracle, and neither the chief nor a Hyperband round waiting for that trial would ever finish:
stopping everything is the only bounded answer. (A launcher killed with SIGKILL cannot clean up:
its children then need ``kill``.)

``--report`` prints the best trial of a finished search again (and rewrites ``trials.csv``).
``--single`` runs one process of a distributed search with the ``KERASTUNER_*`` variables already
set: that is how the launcher starts its children, and how docs/tuning.md spreads a search over
several machines.
"""
from __future__ import annotations

import argparse
import os
import queue
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from collections.abc import Sequence

STOP_GRACE_SECONDS = 5.0
ENV_ID, ENV_IP, ENV_PORT = "KERASTUNER_TUNER_ID", "KERASTUNER_ORACLE_IP", "KERASTUNER_ORACLE_PORT"


def toy_sequences(n: int, *, maxlen: int = 12, vocab_size: int = 50, seed: int = 0):
    """``n`` seeded token sequences whose label shows in their tokens (for tests and trial runs):
    positives draw ids from the lower part of the vocabulary, negatives from the upper part."""
    import numpy as np

    if n < 4 or maxlen < 1 or vocab_size < 4:
        raise ValueError(f"need n >= 4, maxlen >= 1 and vocab_size >= 4, got {n}, {maxlen}, {vocab_size}.")
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    middle = vocab_size // 2
    low, high = rng.integers(1, middle + 5, (n, maxlen)), rng.integers(middle - 5, vocab_size, (n, maxlen))
    x = np.where(y[:, None] == 1, low, high).clip(1, vocab_size - 1).astype("int32")
    return x, y


def project_dir(output_dir: str | os.PathLike, tuner: str) -> Path:
    """Where a distributed search keeps its trials."""
    return Path(output_dir) / "tuning" / f"{tuner}-distributed"


def _data(args):
    """``x, y, vocab_size, maxlen, fixed builder options`` for the search."""
    if args.toy:
        x, y = toy_sequences(args.toy, seed=args.seed)
        return x, y, 50, 12, {}
    from course_utils import config, pipeline
    from course_utils.tuning import stratified_subset

    profile = config.get_profile(args.profile, seed=args.seed)
    _, enc = pipeline.prepare(profile)
    x, y = stratified_subset(enc.x_train, enc.y_train, args.subset, seed=args.seed)
    return x, y, len(enc.vocab), enc.maxlen, {"head": profile.rnn_head}


def run_single(args) -> int:
    """One process of a distributed search (chief or worker, from ``$KERASTUNER_TUNER_ID``)."""
    for name in (ENV_ID, ENV_IP, ENV_PORT):
        if not os.environ.get(name):
            print(f"--single needs ${name}: set {ENV_ID} (chief, tuner0, tuner1 …), {ENV_IP} and {ENV_PORT} "
                  f"(the chief's address) as docs/tuning.md shows.", file=sys.stderr)
            return 2
    import logging

    from course_utils import tuning
    from course_utils.training import seed_everything, validation_split

    logging.getLogger("tensorflow").setLevel(logging.ERROR)  # no retracing notices: one line per trial

    x, y, vocab_size, maxlen, fixed = _data(args)
    hypermodel = tuning.RecurrentHyperModel(tuning.SPACE, vocab_size=vocab_size, maxlen=maxlen, seed=args.seed,
                                            batch_size=args.batch_size, fixed=fixed)
    budget = tuning.search_budget(args.max_epochs, factor=args.factor, iterations=args.iterations)
    folder = project_dir(args.output_dir, args.tuner)
    x_tr, x_val, y_tr, y_val = validation_split(x, y, 0.2, args.seed)
    seed_everything(args.seed)
    # overwrite=False: several processes share the folder; the launcher empties it beforehand.
    search = tuning.make_tuner(args.tuner, hypermodel, budget, directory=folder.parent, project_name=folder.name,
                               seed=args.seed, overwrite=False,
                               report=lambda *trial: print(tuning.trial_line(*trial), flush=True))
    role = os.environ[ENV_ID]
    print(f"{role} ready ({args.tuner}: {budget.epochs(args.tuner)} epochs planned)", flush=True)
    search.search(x_tr, y_tr, validation_data=(x_val, y_val), epochs=budget.max_epochs, verbose=0)
    print(f"{role} finished", flush=True)
    return 0


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port free on ``host`` right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


@dataclass
class Child:
    name: str
    process: subprocess.Popen[str]
    reader: threading.Thread | None = field(default=None)

    @property
    def pid(self) -> int:
        return self.process.pid


def _pump(child: Child, lines: queue.Queue[tuple[str, str]]) -> None:
    if child.process.stdout is None:  # started without stdout=PIPE: nothing to pump
        return
    for line in child.process.stdout:
        lines.put((child.name, line.rstrip("\n")))


def stop_all(children: Sequence[Child], grace: float = STOP_GRACE_SECONDS) -> None:
    """SIGTERM every running child's process group, SIGKILL what is left after ``grace`` s; reap all."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        alive = [c for c in children if c.process.poll() is None]
        for child in alive:
            try:
                os.killpg(child.pid, sig)
            except (ProcessLookupError, PermissionError):
                pass
        deadline = time.monotonic() + grace
        while any(c.process.poll() is None for c in alive) and time.monotonic() < deadline:
            time.sleep(0.05)
    for child in children:
        child.process.wait()
        if child.reader is not None:
            child.reader.join(timeout=1.0)


def _describe_exit(code: int) -> str:
    if code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


def _child_args(args) -> list[str]:
    forwarded = ["--tuner", args.tuner, "--max-epochs", str(args.max_epochs), "--factor", str(args.factor),
                 "--iterations", str(args.iterations), "--output-dir", str(args.output_dir), "--seed", str(args.seed),
                 "--batch-size", str(args.batch_size), "--subset", str(args.subset)]
    forwarded += ["--toy", str(args.toy)] if args.toy else ["--profile", args.profile]
    return [sys.executable, "-m", "course_tools.tune", "--single", *forwarded]


class _Stop(Exception):
    """SIGTERM or SIGHUP reached the launcher."""


def _raise_stop(signum, frame):
    raise _Stop(signal.Signals(signum).name)


def report(folder: Path, out=print) -> int:
    """Print the best finished trial and any unfinished one; write ``trials.csv``. Returns how many finished."""
    from course_utils.fileio import atomic_path
    from course_utils.tuning import OBJECTIVE, read_trials

    trials = read_trials(folder)
    if trials.empty:
        out("tune: no trial finished.")
        return 0
    for _, row in trials[trials.status != "COMPLETED"].iterrows():
        out(f"tune: trial {row.trial} did not finish (status {row.status}).")
    done = trials[trials.status == "COMPLETED"].drop(columns="status")
    if done.empty:
        out("tune: no trial finished.")
        return 0
    done = done.sort_values(OBJECTIVE, ascending=False, kind="stable").reset_index(drop=True)
    with atomic_path(folder / "trials.csv") as tmp:
        done.to_csv(tmp, index=False)
    best = done.iloc[0]
    settings = ", ".join(f"{k}={best[k]:g}" for k in done.columns
                         if k not in ("trial", "epochs trained", "epochs in all", OBJECTIVE, "seconds"))
    out(f"tune: best trial {best.trial}: {settings}; {OBJECTIVE} {best[OBJECTIVE]:.3f} "
        f"({len(done)} trial(s) finished; table: {folder / 'trials.csv'})")
    return len(done)


def launch(args) -> int:
    """Start the chief and the workers, stream their output, stop them all, report. Exit status."""
    folder = project_dir(args.output_dir, args.tuner)
    shutil.rmtree(folder, ignore_errors=True)  # a fresh search: the processes open it with overwrite=False
    folder.mkdir(parents=True)
    port = free_port()
    env = {**os.environ, ENV_IP: "127.0.0.1", ENV_PORT: str(port), "PYTHONUNBUFFERED": "1", "COURSE_PROGRESS": "0"}
    env.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    names = ["chief"] + [f"tuner{i}" for i in range(args.workers)]
    children: list[Child] = []
    lines: queue.Queue[tuple[str, str]] = queue.Queue()
    previous = {s: signal.signal(s, _raise_stop) for s in (signal.SIGTERM, signal.SIGHUP)}
    status, start = 1, time.monotonic()
    try:
        print(f"tune: oracle on 127.0.0.1:{port}; trials in {folder}", flush=True)
        for name in names:
            process = subprocess.Popen(_child_args(args), env={**env, ENV_ID: name}, stdout=subprocess.PIPE,
                                       stderr=subprocess.STDOUT, text=True, bufsize=1, start_new_session=True)
            child = Child(name, process)
            child.reader = threading.Thread(target=_pump, args=(child, lines), daemon=True)
            child.reader.start()
            children.append(child)
            print(f"tune: started {name} (pid {process.pid})", flush=True)
        workers = children[1:]
        while True:
            try:
                name, line = lines.get(timeout=0.2)
                print(f"[{name}] {line}", flush=True)
            except queue.Empty:
                pass
            failed = [c for c in children if c.process.poll() not in (None, 0)]
            if failed:
                for c in failed:
                    print(f"tune: {c.name} (pid {c.pid}) {_describe_exit(c.process.returncode)}; "
                          f"stopping every process.", flush=True)
                break
            if all(c.process.poll() == 0 for c in workers):
                print("tune: every worker finished; stopping the chief.", flush=True)
                status = 0
                break
            if args.timeout and time.monotonic() - start > args.timeout:
                print(f"tune: still running after --timeout {args.timeout:g} s; stopping every process.", flush=True)
                break
    except (KeyboardInterrupt, _Stop) as stop:
        print(f"tune: {type(stop).__name__ if isinstance(stop, KeyboardInterrupt) else stop}; "
              f"stopping every process.", flush=True)
        status = 130
    finally:
        stop_all(children)
        for s, handler in previous.items():
            signal.signal(s, handler)
        while not lines.empty():  # what the children wrote before they stopped
            name, line = lines.get_nowait()
            print(f"[{name}] {line}", flush=True)
    finished = report(folder, out=lambda text: print(text, flush=True))
    return status if finished or status else 1


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m course_tools.tune", description=__doc__.splitlines()[0])
    parser.add_argument("--workers", type=int, default=2, help="worker processes beside the chief (default 2)")
    parser.add_argument("--tuner", choices=("hyperband", "random"), default="hyperband")
    parser.add_argument("--max-epochs", type=int, default=3, help="epochs of a fully trained model (default 3)")
    parser.add_argument("--factor", type=int, default=3, help="Hyperband's reduction factor (default 3)")
    parser.add_argument("--iterations", type=int, default=1, help="Hyperband iterations (default 1)")
    parser.add_argument("--profile", default=os.environ.get("COURSE_PROFILE", "full"),
                        help="course profile whose data is searched (default $COURSE_PROFILE or full)")
    parser.add_argument("--subset", type=int, default=4000, help="training reviews searched on (stratified)")
    parser.add_argument("--toy", type=int, default=0, help="search N toy sequences instead (tests, trial runs)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--output-dir", type=Path, default=Path("notebooks/outputs/tune"))
    parser.add_argument("--timeout", type=float, default=0, help="stop everything after this many seconds (0: never)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--single", action="store_true",
                      help="run one chief or worker from the KERASTUNER_* variables (several machines)")
    mode.add_argument("--report", action="store_true",
                      help="only report the best trial of the search in --output-dir (e.g. on the chief's machine)")
    args = parser.parse_args(argv)
    for name in ("workers", "max_epochs", "iterations", "subset", "batch_size"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1, got {getattr(args, name)}.")
    if args.factor < 2:
        parser.error(f"--factor must be at least 2, got {args.factor}.")
    if args.toy and args.toy < 4:
        parser.error(f"--toy needs at least 4 sequences, got {args.toy}.")
    if args.timeout < 0:
        parser.error(f"--timeout must be >= 0 seconds (0: never), got {args.timeout:g}.")
    if args.report:
        folder = project_dir(args.output_dir, args.tuner)
        if not folder.is_dir():
            parser.error(f"no {args.tuner} search in {folder}: give the --output-dir and --tuner of the search.")
        return 0 if report(folder) else 1
    return run_single(args) if args.single else launch(args)


if __name__ == "__main__":
    sys.exit(main())
