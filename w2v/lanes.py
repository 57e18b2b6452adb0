"""Threads that run one kernel's lanes side by side (the kernels release the GIL)."""


class Lanes:
    """Threads that run a kernel's lanes side by side: ``run(kernel, *args)`` calls ``kernel(t, lanes,
    *args)`` for every lane t, each in its own thread (the kernels release the GIL), and waits for all.
    A single lane runs in a thread too, so that the main thread, waiting, runs the signal handlers (which
    set the kernels' stop flag) at once rather than when the kernel returns. A context manager: the
    threads end with it.

    ``one_blas_thread``: the kernel calls BLAS (the NPLM's softmax, through Numba's ``np.dot``), which would
    start threads of its own in every lane; while the lanes run, BLAS keeps to the calling thread, so that
    ``--threads N`` uses N cores (threadpoolctl; the limits before are restored at the end)."""

    def __init__(self, lanes, one_blas_thread=False):
        from concurrent.futures import ThreadPoolExecutor

        self.lanes = max(1, int(lanes))
        self.pool = ThreadPoolExecutor(self.lanes, thread_name_prefix="w2v-lane")
        self.blas_limits = None
        if one_blas_thread:
            import scipy.linalg.cython_blas  # noqa: F401 - the BLAS that Numba's np.dot calls, loaded so the limit reaches it
            from threadpoolctl import threadpool_limits

            self.blas_limits = threadpool_limits(1, user_api="blas")

    def run(self, kernel, *args, per_lane=None):
        """``kernel(t, lanes, *args, *per_lane[t])`` for every lane t (``per_lane``: each lane's own arguments)."""
        own = per_lane or [()] * self.lanes
        for f in [self.pool.submit(kernel, t, self.lanes, *args, *own[t]) for t in range(self.lanes)]:
            f.result()

    def call(self, fn, *args):
        """``fn(*args)`` in a lane's thread (a kernel that is not split into lanes), waited for."""
        return self.pool.submit(fn, *args).result()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.pool.shutdown()
        if self.blas_limits is not None:
            self.blas_limits.restore_original_limits()


def stop_flag():
    """A kernel's stop flag: a one-element array that a signal handler sets (``flag[0] = 1``) while the
    kernel runs in another thread; the kernel ends at its next clean point."""
    import numpy as np

    return np.zeros(1, np.int64)


def trained_prefix(done):
    """After a stop: how many chunks, from the first, count as trained (up to the last one done), and which
    of them the lanes had not reached (``gaps``, to be trained before the position moves past them)."""
    import numpy as np

    done = np.asarray(done, bool)
    trained = len(done) if done.all() else int(np.flatnonzero(done)[-1]) + 1 if done.any() else 0
    return trained, np.flatnonzero(~done[:trained])
