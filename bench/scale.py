"""Scale benchmark: synthetic Zipf text (corpora/zipf.py) streamed into `w2v train -` at growing sizes.

Nothing is stored but w2v's own temporary files: the generator writes to a pipe that w2v reads as
standard input. Per size: wall time, words/s (training only, and the whole run), peak RSS (the w2v
process's VmHWM) beside the memory estimate w2v printed, the largest temporary disk use (polled), and
the token accounting: tokens generated, tokens w2v read, in-vocabulary ids in the encoded stream (what the
kernels train on, counted in the stream) and the tokens of the words left out of the vocabulary (read
minus the vocabulary's counts): trained + dropped must equal the tokens generated.

    python bench/scale.py                                  # 50M, 100M, 200M, 400M tokens, sg/ns, 1 epoch
    python bench/scale.py --sizes 10,20 --max-vocab 200000
"""

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

CHILD = r"""
import json, sys, time
sys.path.insert(0, {root!r})
from w2v.api import train
t0 = time.perf_counter()
r = train('-', model='sg', loss='ns', epochs=1, threads=2, min_count={min_count}, max_vocab={max_vocab},
          tmp_dir={tmp!r}, output={out!r}, progress=True)
total = time.perf_counter() - t0
hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0].split()[1]
print(json.dumps(dict(total_s=total, vocab_s=r.vocab_seconds, train_s=r.train_seconds, read=r.total_tokens,
                      kept=int(r.vocab.counts.sum()), stream=r.stats['stream_words'], vocab=len(r.vocab), rss_mb=int(hwm) / 1024)))
"""


def du(path):
    total = 0
    for d, _, files in os.walk(path):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(d, f))
            except OSError:
                pass
    return total


def run(tokens, args, workdir):
    tmp = tempfile.mkdtemp(dir=workdir, prefix="tmp-")
    out = os.path.join(workdir, "scale.bin")
    gen = subprocess.Popen([sys.executable, "-m", "corpora.zipf", "--tokens", str(tokens), "--types",
                            str(args.types), "--seed", "1"], stdout=subprocess.PIPE, cwd=ROOT)
    code = CHILD.format(root=ROOT, min_count=args.min_count, max_vocab=args.max_vocab, tmp=tmp, out=out)
    err_path = os.path.join(workdir, f"stderr-{tokens}.txt")
    with open(err_path, "w") as err:
        w2v = subprocess.Popen([sys.executable, "-c", code], stdin=gen.stdout, stdout=subprocess.PIPE, stderr=err)
        gen.stdout.close()
        peak = [0]
        done = threading.Event()

        def poll():
            while not done.is_set():
                peak[0] = max(peak[0], du(tmp))
                time.sleep(0.5)

        t = threading.Thread(target=poll, daemon=True)
        t.start()
        stdout, _ = w2v.communicate()
        done.set()
        t.join()
    gen.wait()
    if w2v.returncode != 0:
        raise SystemExit(open(err_path).read()[-3000:])
    r = json.loads(stdout.decode().strip().splitlines()[-1])
    text = open(err_path).read()
    m = re.search(r"peak of the run ([\d.]+) GB", text) or re.search(r"memory estimate: ([\d.]+) GB", text)
    r["estimate_gb"] = float(m.group(1)) if m else None
    r["disk_gb"] = peak[0] / (1 << 30)
    r["generated"] = tokens
    m = re.search(r"spilling (\d+) times", text)
    r["pruned"] = f"spilled {m.group(1)}x" if m else "pruned" if "reading the corpus again" in text else "no"
    shutil.rmtree(tmp, ignore_errors=True)
    return r


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="50,100,200,400", help="millions of tokens")
    ap.add_argument("--types", type=int, default=50_000_000)
    ap.add_argument("--min-count", type=int, default=5)
    ap.add_argument("--max-vocab", type=int, default=1_000_000)
    ap.add_argument("--workdir", default="/tmp/w2v-scale")
    args = ap.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    print("| tokens | vocab | table spilled (exact) or pruned while counting | whole run s | train words/s | whole-run words/s | "
          "peak RSS GB | estimate GB | peak temp disk GB | read = generated | trained + dropped = read |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for m in args.sizes.split(","):
        n = int(float(m) * 1_000_000)
        r = run(n, args, args.workdir)
        dropped = r["read"] - r["kept"]  # the tokens of the words not in the vocabulary
        # trained: the in-vocabulary ids of the encoded stream, counted in the stream itself
        print(f"| {n / 1e6:.0f}M | {r['vocab']} | {r['pruned']} | {r['total_s']:.0f} | "
              f"{r['read'] / r['train_s']:,.0f} | {r['read'] / r['total_s']:,.0f} | {r['rss_mb'] / 1024:.2f} | "
              f"{r['estimate_gb']} | {r['disk_gb']:.2f} | {r['read'] == n} | "
              f"{r['stream']} + {dropped} = {r['stream'] + dropped} ({'exact' if r['stream'] + dropped == n else 'NOT exact'}) |",
              flush=True)


if __name__ == "__main__":
    main()
