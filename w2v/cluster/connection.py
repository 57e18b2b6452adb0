"""Connecting to a Dask cluster: a scheduler's address, or ``local:N`` worker processes started here."""

from w2v.errors import OptionError


def connect(spec):
    """A distributed Client for ``spec``: ``local:N`` starts a LocalCluster of N one-thread worker
    processes; anything else is a scheduler address."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise OptionError("--dask needs Dask: pip install 'w2v[dask]'") from None
    import logging

    logging.getLogger("distributed").setLevel(logging.ERROR)
    if isinstance(spec, str) and spec.startswith("local:"):
        try:
            n = int(spec.split(":", 1)[1])
            if n < 1:
                raise ValueError
        except ValueError:
            raise OptionError(f"--dask local:N needs a number of workers, not {spec!r}") from None
        if _importing_main_in_a_new_process():
            # a worker process importing the user's script, which calls w2v.train at its top level: starting
            # workers from here cannot work (multiprocessing refuses), so this process ends quietly and the
            # script's own process reports it (below) instead of a traceback from every worker
            raise SystemExit(1)
        try:
            cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=True, dashboard_address=":0")
        except RuntimeError as e:
            raise OptionError(f"--dask {spec}: the local worker processes did not start ({e}); a script that "
                              "trains with dask='local:N' must call w2v.train under `if __name__ == "
                              "'__main__':`, because each worker process imports the script again") from None
        client = Client(cluster)
        client.w2v_cluster = cluster  # closed with the client (close)
        from w2v.resources import keep_freed_heap

        client.run(keep_freed_heap)  # (these worker processes are ours: see keep_freed_heap)
        return client
    try:
        return Client(spec, timeout="10s")
    except (OSError, TimeoutError, ValueError) as e:
        raise OptionError(f"cannot reach the Dask scheduler at {spec}: {e}") from None


def _importing_main_in_a_new_process():
    """Whether this process is a new one (multiprocessing's spawn, as Dask starts its workers) still importing
    the parent's main module: the test multiprocessing itself makes before it refuses to start a process."""
    import multiprocessing

    return bool(getattr(multiprocessing.current_process(), "_inheriting", False))


def close(client):
    """Close the client, and the LocalCluster it started."""
    client.close()
    cluster = getattr(client, "w2v_cluster", None)
    if cluster is not None:
        cluster.close()


def workers_of(client):
    return sorted(client.scheduler_info()["workers"])
