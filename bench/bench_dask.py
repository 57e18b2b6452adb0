"""Dask benchmark: `--dask local:2` (2 worker processes x 1 thread) against a local `--threads 2` run on
bench-en split into 8 files by lines, side by side in one run; then quality against the number of shards
for w2v's combination (each row moves by the AdaSum of the replicas' changes, lr x sqrt(S) up to 0.1, the
default schedule), the mean of the S replicas' changes at lr x S, and Spark MLlib's (every row averaged over all
replicas, once an epoch), through the same code (`--modes` picks; `sum` too).

Each run is a fresh process; the whole run is timed (for Dask: starting the LocalCluster, counting the
vocabulary on it, encoding the shards on the workers, training, writing). Bytes per synchronisation are
the changed rows the replicas send plus the combined rows sent back (int64 row ids and their changes in
float16, the default; `--bits 16,32` adds runs that send float32 values, `--sync-bits 32`).

    python bench/bench_dask.py                          # speed table, then the shards table
    python bench/bench_dask.py --skip-shards
    python bench/bench_dask.py --skip-shards --cases cbow:1 --bits 16,32
    python bench/bench_dask.py --vocab DIR [DIR ...]    # only `w2v vocab`: local against --dask local:2
    python bench/bench_dask.py --overhead --shards 4,8      # what Dask adds, on one core (below)

--overhead measures what Dask adds to the same kernel work where two cores can show it: `--dask local:1
--shards S` (one one-thread worker trains the S replicas in turn; the client and the scheduler have the
other core) against `--threads 1`, sg-ns 1 epoch on the first 10M tokens of bench-en, whole runs,
alternated `--repeat` times; per synchronisation, the time outside the kernels and where it goes.
"""

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from bench_core import ROOT, SHARED, prepare_corpus, quality  # noqa: E402

CHILD = r"""
import json, sys, time
sys.path.insert(0, {root!r})
def main():
    from w2v.api import train
    t0 = time.perf_counter()
    r = train({corpus!r}, model={model!r}, loss='ns', epochs={epochs}, progress=False, output={out!r},
              **{{"seed": 1, **{extra!r}}})
    total = time.perf_counter() - t0
    print(json.dumps(dict(total_s=total, train_s=r.train_seconds, vocab_s=r.vocab_seconds, tokens=r.total_tokens,
                          **{{k: v for k, v in r.stats.items() if isinstance(v, (int, float))}})))
if __name__ == "__main__":
    main()
"""


def split(corpus, workdir, n=8):
    d = os.path.join(workdir, f"bench-en-{n}files")
    if not os.path.isdir(d):
        os.makedirs(d + ".part", exist_ok=True)
        with open(corpus, encoding="utf-8") as f:
            lines = f.readlines()
        per = -(-len(lines) // n)
        for k in range(n):
            with open(os.path.join(d + ".part", f"part{k}.txt"), "w", encoding="utf-8") as out:
                out.writelines(lines[k * per:(k + 1) * per])
        os.replace(d + ".part", d)
    return d


def run(corpus, workdir, model, epochs, extra, eval_dir, tag):
    out = os.path.join(workdir, f"dask-{tag}.bin")
    code = CHILD.format(root=ROOT, corpus=corpus, model=model, epochs=epochs, out=out, extra=extra)
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if res.returncode != 0:
        if "diverged" in res.stderr:
            return None
        raise SystemExit(res.stderr[-3000:])
    r = json.loads(res.stdout.strip().splitlines()[-1])
    r.update(quality(out, eval_dir))
    r["wps"] = r["tokens"] * epochs / r["total_s"]
    return r


VOCAB_CHILD = r"""
import hashlib, json, sys, time
sys.path.insert(0, {root!r})
def main():
    from w2v import api
    t0 = time.perf_counter()
    r = api.vocabulary({corpus!r}, min_count=5, **{extra!r})
    print(json.dumps(dict(total_s=time.perf_counter() - t0, types=r.types, words=len(r.vocab),
                          digest=hashlib.md5(repr((r.vocab.words, r.vocab.counts.tolist())).encode()).hexdigest())))
if __name__ == "__main__":
    main()
"""


def vocab_table(corpora):
    """`w2v vocab` (min-count 5) on each corpus, locally and with --dask local:2: whole-run seconds (the
    LocalCluster's start included), peak RSS of the process tree's largest process, the same words?"""
    import resource

    print("| corpus | types | run | whole run s | ratio | peak RSS GB (largest process) | same vocabulary |")
    print("|---|---|---|---|---|---|---|")
    for corpus in corpora:
        rows = []
        for name, extra in (("local", {}), ("--dask local:2", {"dask": "local:2"})):
            before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            res = subprocess.run([sys.executable, "-c", VOCAB_CHILD.format(root=ROOT, corpus=corpus, extra=extra)],
                                 capture_output=True, text=True)
            if res.returncode != 0:
                raise SystemExit(res.stderr[-3000:])
            r = json.loads(res.stdout.strip().splitlines()[-1])
            peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
            r["rss"] = f"{peak / (1 << 20):.2f}" if peak > before else "<= the run before"
            rows.append((name, r))
        for name, r in rows:
            print(f"| {os.path.basename(corpus.rstrip('/'))} | {r['types']:,} | {name} | {r['total_s']:.1f} | "
                  f"{r['total_s'] / rows[0][1]['total_s']:.2f} | {r['rss']} | "
                  f"{'yes' if r['digest'] == rows[0][1]['digest'] else 'NO'} |", flush=True)


def overhead_table(corpus, args):
    print("| run | whole run s | ratio to --threads 1 | training s | syncs | outside the kernels per sync, ms "
          "(take / report / combine / the rest) | around training, s (connect / count / set-up / close) | analogy |")
    print("|---|---|---|---|---|---|---|---|")
    for rep in range(args.repeat):
        local = run(corpus, args.workdir, "sg", 1, {"threads": 1}, args.eval_dir, "overhead-local")
        rows = [("--threads 1", local)]
        for n in map(int, args.shards.split(",")):
            rows.append((f"--dask local:1 --shards {n}", run(corpus, args.workdir, "sg", 1,
                                                             {"dask": "local:1", "shards": n}, args.eval_dir,
                                                             f"overhead-{n}")))
        for name, r in rows:
            detail = syncs = around = ""
            if "connect_s" in r:
                around = " / ".join(f"{r[k]:.2f}" for k in ("connect_s", "count_s", "setup_s", "close_s"))
            if "sync_rounds" in r:
                syncs = r["sync_rounds"]
                per = 1000 / syncs
                outside = r["overhead_full_s"] + r["overhead_hot_s"]
                rest = outside - r["take_s"] - r["report_s"] - r["combine_s"]
                detail = (f"{outside * per:.0f} ({r['take_s'] * per:.0f} / {r['report_s'] * per:.0f} / "
                          f"{r['combine_s'] * per:.0f} / {rest * per:.0f})")
            print(f"| {name} | {r['total_s']:.1f} | {local['total_s'] / r['total_s']:.2f} | {r['train_s']:.1f} | "
                  f"{syncs} | {detail} | {around} | {r['analogy']:.2f} |", flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", default=os.path.join(SHARED, "corpora", "bench-en.txt.xz"))
    ap.add_argument("--eval-dir", default=os.path.join(SHARED, "eval"))
    ap.add_argument("--workdir", default="/tmp/w2v-bench")
    ap.add_argument("--cases", default="sg:1,cbow:1,sg:3,cbow:3")
    ap.add_argument("--shards", default="1,2,4,8,16")
    ap.add_argument("--modes", default="adasum,mean,all", help="--sync-average values for the shards table")
    ap.add_argument("--shards-model", default="sg:1", help="model:epochs of the shards table")
    ap.add_argument("--bits", default="16", help="--sync-bits values for the speed table's Dask runs")
    ap.add_argument("--skip-speed", action="store_true")
    ap.add_argument("--skip-shards", action="store_true")
    ap.add_argument("--vocab", nargs="+", metavar="CORPUS", help="only time `w2v vocab` on these corpora")
    ap.add_argument("--overhead", action="store_true", help="only the one-core overhead table (see above)")
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()
    if args.vocab:
        return vocab_table(args.vocab)
    if args.overhead:
        return overhead_table(prepare_corpus(args.corpus, args.workdir, 10_000_000), args)
    corpus = split(prepare_corpus(args.corpus, args.workdir, None), args.workdir)
    if not args.skip_speed:
        print("| case | run | whole run s | words/s (whole run) | ratio | analogy | WS-353 | SimLex | MB per sync |")
        print("|---|---|---|---|---|---|---|---|---|")
        for case in args.cases.split(","):
            model, epochs = case.split(":")
            epochs = int(epochs)
            local = run(corpus, args.workdir, model, epochs, {"threads": 2}, args.eval_dir, f"{model}{epochs}-local")
            runs = [("--threads 2", local)]
            for bits in map(int, args.bits.split(",")):
                extra = {"dask": "local:2", "sync_bits": bits}
                name = "--dask local:2" + (" --sync-bits 32" if bits == 32 else "")
                runs.append((name, run(corpus, args.workdir, model, epochs, extra, args.eval_dir,
                                       f"{model}{epochs}-dask{'' if bits == 16 else bits}")))
            for name, r in runs:
                sync = f"{r['bytes_per_full_sync'] / (1 << 20):.0f}" if "bytes_per_full_sync" in r else ""
                print(f"| {model}-ns {epochs} ep | {name} | {r['total_s']:.1f} | {r['wps']:,.0f} | "
                      f"{r['wps'] / local['wps']:.2f} | {r['analogy']:.2f} | {r['ws353']:.3f} | {r['simlex']:.3f} | "
                      f"{sync} |", flush=True)
    if args.skip_shards:
        return
    model, epochs = args.shards_model.split(":")
    epochs = int(epochs)
    local = run(corpus, args.workdir, model, epochs, {"threads": 2}, args.eval_dir, f"{model}{epochs}-local")
    print(f"\n{model}-ns {epochs} epoch(s), local --threads 2: analogy {local['analogy']:.2f}, WS-353 "
          f"{local['ws353']:.3f}, SimLex {local['simlex']:.3f} ({local['total_s']:.1f} s)\n")
    print(f"| {model}-ns {epochs} ep, local:2 | shards | analogy | WS-353 | SimLex | syncs | MB per sync | "
          "MB per epoch | whole run s |")
    print("|---|---|---|---|---|---|---|---|---|")
    sched = "the default full syncs an epoch, the frequent words' rows after each of 4 rounds a full sync"
    names = {"adasum": f"w2v: every row moves by the AdaSum of the replicas' changes, lr x sqrt(S) up to 0.1; {sched}",
             "mean": f"every row moves by the mean of the S replicas' changes, lr x S; {sched}",
             "sum": f"the old row plus every replica's change; {sched}",
             "all": "Spark MLlib: every row averaged over all replicas, once an epoch"}
    plan = [(mode, int(n)) for mode in args.modes.split(",") for n in args.shards.split(",")
            if not (mode == "all" and n == "1")]
    for average, n in plan:
        extra = {"dask": "local:2", "shards": n, "sync_average": average}
        r = run(corpus, args.workdir, model, epochs, extra, args.eval_dir, f"shards{n}-{average}-{model}{epochs}")
        if r is None:
            print(f"| {names[average]} | {n} | diverged (loss NaN) | | | | | | |", flush=True)
            continue
        print(f"| {names[average]} | {n} | {r['analogy']:.2f} | {r['ws353']:.3f} | {r['simlex']:.3f} | "
              f"{r['sync_rounds']} | {r['bytes_per_full_sync'] / (1 << 20):.0f} | "
              f"{r['bytes_total'] / (1 << 20):.0f} | {r['total_s']:.1f} |", flush=True)

if __name__ == "__main__":
    main()
