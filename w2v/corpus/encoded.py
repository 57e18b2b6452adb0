"""The training stream on disk: a flat ``int32`` file of word ids with ``-1`` after every sentence, read
back in fixed-size blocks cut at sentence ends, so resident memory does not grow with the corpus."""

import os
from typing import NamedTuple

import numpy as np

from w2v.errors import CorpusError

OUT_IDS = 4 << 20  # ids per write of the provisional stream, and per block of its remapping


class EncodedCorpus(NamedTuple):
    """The training stream on disk: int32 word ids, -1 after each sentence."""

    path: str
    n_ids: int  # length of the stream, sentinels included
    n_words: int  # in-vocabulary tokens in the stream
    total_tokens: int  # raw tokens of the corpus (what words/s counts)
    counting_bytes: int = 0  # memory the counting pass took at its peak
    spill_bytes: int = 0  # temporary disk of the runs counting spilled (deleted once merged)

    def blocks(self, block_ids=1 << 21, start=0):
        """Yield ``(start, ids)`` blocks of whole sentences from ``start`` (a block boundary); ``ids`` is a
        reused buffer."""
        buf = np.empty(block_ids, np.int32)
        with open(self.path, "rb") as f:
            while start < self.n_ids:
                f.seek(4 * start)
                n = f.readinto(memoryview(buf).cast("B")) // 4
                if n <= 0:
                    raise CorpusError(f"encoded corpus {self.path} is truncated")
                block = buf[:n]
                if start + n < self.n_ids:
                    # cut after the last sentence end (sentences are <= MAX_SENTENCE ids long)
                    n -= int(np.argmax(block[::-1] == -1))
                yield start, buf[:n]
                start += n

    def block_start(self, position, block_ids=1 << 21):
        """The start of the block (as ``blocks(block_ids)`` cuts them from 0) that holds ``position``: where
        ``blocks`` must start for a resume inside a block to see the blocks, and so the chunks, of a run
        that did not stop. Reads only each block's last sentence, to find where it was cut."""
        start = 0
        tail = np.empty(min(block_ids, self.n_ids), np.int32)
        with open(self.path, "rb") as f:
            while start + block_ids < self.n_ids:
                end = start + block_ids
                # the cut after the last sentence end before ``end``; ``tail`` reaches back a whole block
                # (sentences are <= MAX_SENTENCE ids, but a cut must be found as ``blocks`` finds it)
                back = min(len(tail), 1 << 16)
                while True:
                    f.seek(4 * (end - back))
                    got = tail[:back]
                    f.readinto(memoryview(got).cast("B"))
                    ends = np.flatnonzero(got == -1)
                    if len(ends) or back == len(tail):
                        break
                    back = min(len(tail), back * 4)
                cut = end - back + int(ends[-1]) + 1 if len(ends) else end
                if cut > position:
                    break
                start = cut
        return start


def encode(scan_result, remap, workdir):
    """Rewrite the provisional stream with final ids (``remap[pid]``, -1 = dropped) into the training stream."""
    from w2v import scan

    path = os.path.join(workdir, "corpus.i32")
    remap = np.asarray(remap, np.int32)
    prov = np.empty(OUT_IDS, np.int32)
    out = np.empty(OUT_IDS + OUT_IDS // scan.MAX_SENTENCE + 2, np.int32)
    sent_len = np.zeros(1, np.int64)
    n_ids = n_words = 0  # (n_words counts the ids written: the stream's own figure, not the vocabulary's)
    with open(scan_result.prov_path, "rb") as fin, open(path, "wb") as fout:
        while True:
            n = fin.readinto(memoryview(prov).cast("B")) // 4
            if n == 0:
                break
            m = scan.remap_block(prov, n, remap, out, sent_len)
            out[:m].tofile(fout)
            n_ids += m
            n_words += m - int(np.count_nonzero(out[:m] < 0))
        if sent_len[0] > 0:
            np.array([-1], np.int32).tofile(fout)
            n_ids += 1
    os.unlink(scan_result.prov_path)
    return EncodedCorpus(path=path, n_ids=n_ids, n_words=n_words, total_tokens=scan_result.total_tokens,
                         counting_bytes=scan_result.table_bytes, spill_bytes=scan_result.spill_bytes)
