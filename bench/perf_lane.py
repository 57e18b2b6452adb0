"""Where a lane kernel spends its time, instruction by instruction (perf's timer sampling; this VM has no
hardware counters, but ``perf record -e cpu-clock`` works).

    python bench/perf_lane.py --corpus /tmp/w2v-bench/bench-en-first10M.txt --model cbow --loss hs

Runs one training (one thread, one epoch) under ``perf record``; the child writes a perf map for the lane
kernel's machine code (so perf names it) and a copy of that code, which ``objdump`` disassembles; prints the
kernel's share of the samples, its hottest 128-byte windows and their hottest instructions. A sample lands
on the instruction after the one that stalled (skid): a load that misses shows as the next instruction.
Needs ``perf`` and ``objdump`` (binutils).
"""

import argparse
import collections
import ctypes
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def child(args):
    sys.path.insert(0, ROOT)
    from w2v import kernels
    from w2v.api import train

    kw = dict(model=args.model, loss=args.loss, threads=1, epochs=1, progress=False, seed=1)
    if args.subwords:
        kw["subwords"] = tuple(int(x) for x in args.subwords.split("-"))
    small = os.path.join(args.out, "small.txt")
    with open(args.corpus, "rb") as f, open(small, "wb") as g:
        g.write(f.read(2_000_000).rsplit(b"\n", 1)[0] + b"\n")
    train(small, **kw)  # compiles or loads the kernel
    name = f".{args.model}_subword_sentence" if args.subwords else f".{args.model}_sentence"
    path = next(p for p in kernels._LANE_KERNELS if p.endswith(name))
    cres = list(kernels._LANE_KERNELS[path].overloads.values())[0]
    addr = cres.library.get_pointer_to_function(cres.fndesc.llvm_func_name)
    end = next(b for a, b in ((int(x, 16) for x in line.split()[0].split("-")) for line in open("/proc/self/maps"))
               if a <= addr < b)
    size = min(end - addr, 300_000)
    with open(f"/tmp/perf-{os.getpid()}.map", "w") as f:
        f.write(f"{addr:x} {size:x} lane_kernel\n")
    with open(os.path.join(args.out, "lane.bin"), "wb") as f:
        f.write(ctypes.string_at(addr, size))
    with open(os.path.join(args.out, "lane.json"), "w") as f:
        json.dump({"addr": addr}, f)
    train(args.corpus, **kw)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--corpus", required=True)
    ap.add_argument("--model", default="cbow")
    ap.add_argument("--loss", default="ns")
    ap.add_argument("--subwords", help="character n-grams, as MINN-MAXN (a subword model)")
    ap.add_argument("--top", type=int, default=8, help="windows to show")
    ap.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        return child(args)
    out = tempfile.mkdtemp(prefix="perf-lane-")
    data = os.path.join(out, "perf.data")
    subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-F", "4000", "-o", data, "--", sys.executable,
                    os.path.abspath(__file__), "--child", "--out", out, "--corpus", args.corpus, "--model",
                    args.model, "--loss", args.loss] + (["--subwords", args.subwords] if args.subwords else []), check=True)
    script = subprocess.run(["perf", "script", "-i", data, "-F", "ip,sym"], capture_output=True, text=True).stdout
    addr = json.load(open(os.path.join(out, "lane.json")))["addr"]
    rows = [line.split() for line in script.splitlines() if line.strip()]
    ips = [int(r[0], 16) - addr for r in rows if len(r) > 1 and r[1] == "lane_kernel"]
    hits = collections.Counter(ips)
    total = len(rows)
    print(f"lane kernel: {len(ips)} of {total} samples ({100 * len(ips) / max(total, 1):.1f}%)")
    dis = subprocess.run(["objdump", "-D", "-b", "binary", "-mi386:x86-64", os.path.join(out, "lane.bin")],
                         capture_output=True, text=True).stdout
    text = {}
    for line in dis.splitlines():
        head, _, rest = line.partition(":")
        try:
            text[int(head.strip(), 16)] = rest.strip()
        except ValueError:
            pass
    windows = collections.Counter()
    for off, n in hits.items():
        windows[off // 128] += n
    n_ips = max(len(ips), 1)
    for w, n in windows.most_common(args.top):
        print(f"\n{100 * n / n_ips:5.1f}% of the kernel at +{w * 128:#x}:")
        for off in sorted(o for o in text if w * 128 <= o < (w + 1) * 128):
            if hits.get(off, 0) * 200 >= n_ips:  # instructions with at least 0.5% of the kernel's samples
                print(f"  {100 * hits[off] / n_ips:5.1f}%  +{off:#06x}  {text[off][:90]}")


if __name__ == "__main__":
    main()
