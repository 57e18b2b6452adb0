"""What the live-type limit costs and buys while counting: scan a corpus file with a given limit (0: none,
the table grows with the types; ``spill``: w2v's default, an exact count that spills the table to disk
beyond corpus.LIVE_TYPES; a number: pruning at that many types, as word2vec.c and --max-types), choose the vocabulary (min-count 5, at most 1,000,000 words) from that pass's counts, and print the
seconds, the prunings, the types left and the process's peak RSS; the chosen words go to OUT, one a line.

    python -m corpora.zipf --tokens 400000000 --types 50000000 --seed 1 > /tmp/zipf400.txt
    for L in 0 spill 20000000 10000000; do python bench/vocab_headroom.py /tmp/zipf400.txt $L /tmp/v$L.txt; done

Compare the OUT files with the one of limit 0 (the exact choice).
"""

import json
import os
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
from w2v import corpus, scan  # noqa: E402
from w2v.vocab import build_vocab  # noqa: E402


def main():
    path, limit, out = sys.argv[1], sys.argv[2], sys.argv[3]
    limit = None if limit == "spill" else int(limit)
    scan.warm_up()
    t0 = time.perf_counter()
    with tempfile.TemporaryDirectory(dir=os.path.dirname(os.path.abspath(out))) as work:
        r = corpus.scan_corpus(path, work, count_limit=limit, min_count=5, max_vocab=1_000_000, reread_if_pruned=True)
    vocab, _ = build_vocab(r.words, r.counts, r.pids, 0, 5, 1_000_000, may_repeat=False)
    with open("/proc/self/status") as f:
        hwm = next(line for line in f if line.startswith("VmHWM")).split()[1]
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(vocab.words))
    print(json.dumps(dict(limit=limit, seconds=round(time.perf_counter() - t0, 1), pruned=r.pruned, spilled=r.spilled,
                          spill_gb=round(r.spill_bytes / 2 ** 30, 2), types=r.types,
                          vocab=len(vocab), rss_gb=round(int(hwm) / 2 ** 20, 2))))


if __name__ == "__main__":
    main()
