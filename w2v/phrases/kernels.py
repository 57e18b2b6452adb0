"""Numba kernels of the phrases: counting candidates in an open-addressing table of (left, right,
connectors) keys, rehashing and pruning it, scoring its rows, and joining phrases in whole lines of text."""


import numba
import numpy as np

from w2v import jit, scan

MAX_CONNECTORS = 7  # connector words inside one phrase (8 bits each in a 64-bit key)
NEED_ROOM = 1  # count_candidates' status: the table needs room


@numba.njit(inline="always")
def _slot(ab, mid, mask):
    h = (np.uint64(ab) * np.uint64(0x9E3779B97F4A7C15)) ^ (np.uint64(mid) * np.uint64(0xC2B2AE3D27D4EB4F))
    return np.int64((h ^ (h >> np.uint64(29))) & np.uint64(mask))


@numba.njit(inline="always")
def _find(ab, mid, table):
    """The row of key (ab, mid) in ``table``, or the empty row where it would go. A row is (ab or -1 when
    empty, count), or (ab, count, mid) where connector words exist: one cache line per probe."""
    mask = table.shape[0] - 1
    j = _slot(ab, mid, mask)
    while table[j, 0] != -1 and not (table[j, 0] == ab and (table.shape[1] == 2 or table[j, 2] == mid)):
        j = (j + 1) & mask
    return j


@jit.cached(scan, nogil=True)
def count_candidates(ids, n, conn, table, st, room):
    """Count the candidates of the provisional id stream ``ids[:n]`` (-1 at line ends); returns where it
    stopped and a status (0: done, 1: the table holds ``room`` keys, grow or prune it and call again).

    ``conn[pid]`` is a connector word's code (1..255) or 0 (also beyond its end). ``st`` carries the open candidate across
    blocks: [used, left pid (-1: none), connector codes, connector count]. A candidate is a word, the
    connector words after it (at most MAX_CONNECTORS) and the next word; the next word starts the next
    candidate.
    """
    i = 0
    while i < n:
        p = ids[i]
        if p < 0:
            st[1] = -1
            st[2] = 0
            st[3] = 0
            i += 1
            continue
        c = conn[p] if p < conn.shape[0] else 0
        if c != 0:
            if st[1] >= 0:
                st[2] = (st[2] << 8) | c
                st[3] += 1
            i += 1
            continue
        if st[1] >= 0 and st[3] <= MAX_CONNECTORS:
            if st[0] >= room:
                return i, NEED_ROOM
            ab = (st[1] << 32) | p
            j = _find(ab, st[2], table)
            if table[j, 0] == -1:
                table[j, 0] = ab
                table[j, 1] = 0
                if table.shape[1] == 3:
                    table[j, 2] = st[2]
                st[0] += 1
            table[j, 1] += 1
        st[1] = p
        st[2] = 0
        st[3] = 0
        i += 1
    return n, 0


@jit.cached(scan, nogil=True)
def rehash(rows, new, min_keep):
    """Move the rows (ab, count[, mid]) counted at least ``min_keep`` times into the empty table ``new``;
    returns how many."""
    used = 0
    for j in range(rows.shape[0]):
        if rows[j, 0] != -1 and rows[j, 1] >= min_keep:
            k = _find(rows[j, 0], rows[j, 2] if rows.shape[1] == 3 else 0, new)
            for c in range(rows.shape[1]):
                new[k, c] = rows[j, c]
            used += 1
    return used


@jit.cached(scan, nogil=True)
def score_rows(table, count, scoring, min_count, total, types, threshold):
    """The rows of candidates scoring above ``threshold``, and their scores. ``count[pid]``: unigram
    counts (0 for a pruned word: never joined); ``scoring``: an index into SCORINGS."""
    n = 0
    for sweep in range(2):  # count, then fill arrays of that size
        if sweep == 1:
            keep = np.empty(n, np.int64)
            score = np.empty(n, np.float64)
            n = 0
        for j in range(table.shape[0]):
            if table[j, 0] == -1:
                continue
            ca = float(count[table[j, 0] >> 32])
            cb = float(count[table[j, 0] & 0xFFFFFFFF])
            pab = float(table[j, 1])
            if ca == 0 or cb == 0:
                continue
            if scoring == 0:  # word2phrase.c
                if ca < min_count or cb < min_count:
                    continue
                x = (pab - min_count) / ca / cb * total
            elif scoring == 1:  # gensim's original_scorer
                x = (pab - min_count) / (ca * cb) * types
            else:  # gensim's npmi_scorer
                if pab < min_count:
                    continue
                pa, pb, pp = ca / total, cb / total, pab / total
                x = np.log(pp / (pa * pb)) / -np.log(pp)
            if x > threshold:
                if sweep == 1:
                    keep[n] = j
                    score[n] = x
                n += 1
    return keep, score


def empty_table(cap, mid=True):
    table = np.empty((cap, 3 if mid else 2), np.int64)
    table[:, 0] = -1
    return table


@jit.cached(scan, nogil=True)
def _lookup(buf, s, e, slots, e_hash, e_off, e_len, arena):
    if e - s > scan.MAX_TOKEN_BYTES:
        return -1
    h = scan.token_hash(buf, s, e)
    return scan.find_entry(buf, s, e - s, h, slots, e_hash, e_off, e_len, arena)[1]


@numba.njit(inline="always")
def _put(out, o, buf, s, e):
    for k in range(s, e):
        out[o] = buf[k]
        o += 1
    return o


@numba.njit(inline="always")
def _sep(out, o, sep):
    for k in range(sep.shape[0]):
        out[o] = sep[k]
        o += 1
    return o


@numba.njit(inline="always")
def _put_pending(out, o, line_start, buf, start_s, start_e, mid_s, mid_e, mid_n, sep, space):
    """Write a pending candidate's first word and its connectors, the connectors joined by ``sep``."""
    if o > line_start:
        o = _sep(out, o, space)
    o = _put(out, o, buf, start_s, start_e)
    for m in range(mid_n):
        o = _sep(out, o, sep)
        o = _put(out, o, buf, mid_s[m], mid_e[m])
    return o


@jit.cached(scan, nogil=True)
def apply_lines(buf, n, slots, e_hash, e_off, e_len, arena, conn, phrases, delim, out, joined):
    """Join the phrases of the whole lines ``buf[:n]`` into ``out`` (at least n + 1 bytes, times the
    delimiter's length); returns the bytes written. A last line without a newline gets one.

    Words are looked up in the table (slots .. arena; unknown words never join); ``conn[id]`` marks
    connector words; a phrase is a row (left << 32 | right, connector codes) of the table ``phrases``. Greedy left
    to right as gensim's ``analyze_sentence``. ``joined[0]`` counts the phrases written.
    """
    space = np.full(1, 32, np.uint8)
    o = 0
    i = 0
    mid_s = np.empty(MAX_CONNECTORS + 1, np.int64)
    mid_e = np.empty(MAX_CONNECTORS + 1, np.int64)
    while i < n:
        # one line: buf[i:line_end], the newline at line_end
        line_end = i
        while line_end < n and buf[line_end] != 10:
            line_end += 1
        start_s = -1
        start_e = -1
        start_id = -1
        mid_n = 0
        mid = np.int64(0)
        line_start = o
        k = i
        while k < line_end:
            if scan.SPACE[buf[k]]:
                k += 1
                continue
            s = k
            while k < line_end and not scan.SPACE[buf[k]]:
                k += 1
            w = _lookup(buf, s, k, slots, e_hash, e_off, e_len, arena)
            c = conn[w] if w >= 0 else 0
            if c != 0:
                if start_s < 0:  # a connector outside a phrase
                    if o > line_start:
                        o = _sep(out, o, space)
                    o = _put(out, o, buf, s, k)
                elif mid_n < MAX_CONNECTORS:
                    mid_s[mid_n] = s
                    mid_e[mid_n] = k
                    mid_n += 1
                    mid = (mid << 8) | c
                else:  # too many connectors for a phrase: the candidate dissolves
                    o = _put_pending(out, o, line_start, buf, start_s, start_e, mid_s, mid_e, mid_n, space, space)
                    o = _sep(out, o, space)
                    o = _put(out, o, buf, s, k)
                    start_s = -1
                    mid_n = 0
                    mid = 0
                continue
            if start_s >= 0:
                hit = False
                if w >= 0 and start_id >= 0:
                    j = _find((start_id << 32) | w, mid, phrases)
                    hit = phrases[j, 0] != -1
                o = _put_pending(out, o, line_start, buf, start_s, start_e, mid_s, mid_e, mid_n,
                                 delim if hit else space, space)
                mid_n = 0
                mid = 0
                if hit:
                    o = _sep(out, o, delim)
                    o = _put(out, o, buf, s, k)
                    joined[0] += 1
                    start_s = -1
                    continue
            start_s = s
            start_e = k
            start_id = w
        if start_s >= 0:
            o = _put_pending(out, o, line_start, buf, start_s, start_e, mid_s, mid_e, mid_n, space, space)
        if o > line_start:
            out[o] = 10
            o += 1
        i = line_end + 1
    return o
