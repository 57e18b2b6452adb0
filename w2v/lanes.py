"""Threads that run one kernel's lanes side by side (the kernels release the GIL)."""




class Lanes:
    """Threads that run a kernel's lanes side by side: ``run(kernel, *args)`` calls ``kernel(t, lanes,
    *args)`` for every lane t, each in its own thread (the kernels release the GIL), and waits for all.
    One lane runs in the calling thread. A context manager: the threads end with it."""

    def __init__(self, lanes):
        from concurrent.futures import ThreadPoolExecutor

        self.lanes = max(1, int(lanes))
        self.pool = ThreadPoolExecutor(self.lanes, thread_name_prefix="w2v-lane") if self.lanes > 1 else None

    def run(self, kernel, *args):
        if self.pool is None:
            kernel(0, 1, *args)
            return
        for f in [self.pool.submit(kernel, t, self.lanes, *args) for t in range(self.lanes)]:
            f.result()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        if self.pool is not None:
            self.pool.shutdown()
