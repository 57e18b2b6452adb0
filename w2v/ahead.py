"""A first run's kernels compiled beside the vocabulary pass.

The vocabulary pass reads the corpus on one core; a first run then waited for Numba to compile its lane
kernel (5-10 s). ``KernelsAhead`` starts a second process that compiles that kernel into Numba's disk
cache while the pass runs, and the run loads it from there when it needs it. A process, not a thread:
Numba's compiler is Python and holds the GIL, which a thread would take from the vocabulary pass (tried:
both slowed down, the whole run no shorter).

The trainer says what to compile (``kernel_ahead()``: the lane kernel, and a function that makes warm-up
arguments with this run's types on a made-up vocabulary). Nothing starts when the kernel is cached for
those types, when the trainer has no ``kernel_ahead`` (GloVe, Dask), or on a single core; a child that
fails changes nothing (``load_kernels`` compiles then, and reports any error itself).
"""

import os
import pickle
import subprocess
import sys
import time


def _cores():
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


MIN_BYTES = 128 << 20  # files smaller than this: the run compiles for itself (W2V_AHEAD_MIN_BYTES overrides)


def _long_pass(corpus):
    """Whether the vocabulary pass over ``corpus`` is long enough to hide the child: its start-up (imports,
    made-up tables) beside the run's own set-up made its compile slower than the run's (9.1-10.6 s in five of
    six cold runs, 5.0-7.7 s in the run), so on 57 MB (the first 10M tokens of bench-en, subword CBOW) the run
    was 1-2 s slower with it, on 231 MB (plain CBOW) 1-5 s faster (bench/RESULTS.md). Standard input,
    iterables and URLs count as long."""
    from w2v.corpus.reading import local_bytes

    size = None if corpus is None else local_bytes(corpus)
    return size is None or size >= int(os.environ.get("W2V_AHEAD_MIN_BYTES", MIN_BYTES))


class KernelsAhead:
    def __init__(self, trainer, cfg, run, corpus=None):
        from w2v.messages import log

        self.proc = None
        self.started = 0.0
        self.seconds = 0.0
        make = getattr(trainer, "kernel_ahead", None)
        if make is None or _cores() < 2 or not _long_pass(corpus):
            return
        from w2v.epochs import cached_for
        from w2v.trainers.stream import warm_up_call

        try:
            kernel, arguments = make()
            if cached_for(kernel, warm_up_call(kernel, *arguments())):
                return
            # (the options of the run are not sent: a callback in them need not pickle, and the kernel's
            # types follow from the model's options alone)
            request = pickle.dumps((type(trainer).__module__, cfg))
        except Exception:  # noqa: BLE001 - the run's own warm-up will say what is wrong
            return
        log(run.quiet, "compiling kernels (first run only) beside the vocabulary pass ...")
        self.started = time.perf_counter()
        import w2v

        # The child imports this very w2v, whatever put it on this process's path: its folder goes first on
        # the child's path (with PYTHONPATH alone, a child of a second checkout once imported the installed
        # one, compiled nothing there, and the run then compiled after the vocabulary pass), and the child
        # checks the package it imported before compiling.
        root = os.path.dirname(os.path.dirname(os.path.abspath(w2v.__file__)))
        code = f"import sys; sys.path.insert(0, {root!r}); from w2v.ahead import main; main({w2v.__file__!r})"
        self.proc = subprocess.Popen([sys.executable, "-c", code], stdin=subprocess.PIPE,
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            self.proc.stdin.write(request)
            self.proc.stdin.close()
        except OSError:
            pass

    def scan_threads(self, threads):
        """The threads the vocabulary pass may take: one fewer while the child compiles (its core; on two
        cores, a count in two halves beside it slowed the compile the run then waits for)."""
        return max(1, threads - 1) if self.proc is not None else threads

    def join(self):
        """Wait for the child (it is done, or nearly, by the end of the vocabulary pass); True when it
        compiled the kernel."""
        if self.proc is None:
            return False
        code = self.proc.wait()
        self.seconds = time.perf_counter() - self.started
        return code == 0

    def close(self):
        """Stop a child still compiling (the run failed or was interrupted before it needed the kernel)."""
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()


def main(package=None):
    """The child: compile the kernel of the trainer (its module, the TrainConfig) pickled on stdin into the
    disk cache; ``package``: the parent's ``w2v/__init__.py``, which this process must have imported (else it
    would fill another checkout's cache: exit 2, and the run compiles for itself)."""
    import importlib

    import w2v
    from w2v.config import RunOptions

    if package is not None and os.path.abspath(w2v.__file__) != os.path.abspath(package):
        sys.exit(2)
    from w2v.trainers.stream import warm_up

    module, cfg = pickle.loads(sys.stdin.buffer.read())
    kernel, arguments = importlib.import_module(module).Trainer(cfg, RunOptions()).kernel_ahead()
    warm_up(kernel, *arguments())


if __name__ == "__main__":
    main()
