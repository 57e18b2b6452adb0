"""Combining the replicas' rows: a replica's side (``RowSync``: snapshot, changed rows reported cut into the
owners' slices, combined rows taken), what owners do with their slice (``combine``, ``apply``), as
float32 values or float16 changes (half.py), with the Numba passes over rows that they use."""

import numba
import numpy as np

from w2v import half, jit
from w2v.half import DECODE, encode, encode_rows
from w2v.resources import plain_copy

class RowSync:
    """A replica's side of the combination, for its model's matrices ``W`` (changed in place by its kernel):
    a snapshot of them as last combined (a row that differs from it has changed since; kept row by row, no
    copies of the whole model between rounds), and what it reports and takes each round.

    With values (``half`` False) the snapshot takes the reported values at once. With ``half`` the replica
    reports each changed row's change since the snapshot as float16 codes, and its row takes the snapshot
    plus that change as rounded; the owners add the same rounded changes. Every row reported comes back
    combined (from its owner), so after ``take`` every such row holds the same float32 values in every
    replica and in the combined model."""

    def __init__(self, W, hot, half, shards=1):
        self.W, self.hot, self.half, self.shards = tuple(W), hot, half, shards
        self.reset()

    def reset(self):
        """The matrices as they are now are the combined model."""
        self.snap = tuple(plain_copy(M) for M in self.W)

    def report(self, full):
        """The rows changed since they were last combined, with their values (or ``half``: their changes as
        float16 codes), cut into the owners' slices as they are found: [[(rows within slice j, values or
        changes)] per matrix] for each slice j (the rows x with x % shards == j, numbered x // shards,
        in order). The hot rows (the frequent words'), all rows when ``full``."""
        out = [[] for _ in range(self.shards)]
        for M, S, h in zip(self.W, self.snap, self.hot):
            hi = M.shape[0] if full else h
            if self.half:
                rows, vals, start = _report_changes(M, S, hi, DECODE, self.shards)
            else:
                rows, vals, start = _report_rows(M, S, hi, self.shards)
            for j in range(self.shards):
                out[j].append((rows[start[j]:start[j + 1]], vals[start[j]:start[j + 1]]))
        return out

    def take(self, taken):
        """Set the rows of every owner's combined slice (``taken``, in owner order: [(rows within the slice,
        values or changes)] per matrix; slice j is the rows x with x % len(taken) == j) to the combined
        model's, in the matrices and the snapshot: one pass in the rows' order over the slices together
        (slice by slice, each pass strode over the whole model, twice as slow)."""
        if not taken:
            return
        for m, (M, S) in enumerate(zip(self.W, self.snap)):
            rows = tuple(_frozen(owned[m][0]) for owned in taken)
            vals = tuple(_frozen(owned[m][1]) for owned in taken)
            if self.half:
                _take_changes(M, S, rows, vals, DECODE)
            else:
                _take_values(M, S, rows, vals)


def aligned(a):
    """``a``, copied if it is not aligned: Dask may hand arrays over at any byte offset of a frame, and numpy
    and Numba take slow paths over unaligned ones (taking combined rows took 10x as long)."""
    return a if a.flags.aligned else a.copy()


def _frozen(a):
    """``a`` aligned (see ``aligned``) and read-only (a view where it was writable), so that a tuple of such
    arrays, some from Dask's frames (read-only), has one Numba type whatever their origin."""
    a = aligned(a)
    if a.flags.writeable:
        a = a.view()
        a.flags.writeable = False
    return a


@numba.njit(cache=True, nogil=True)
def _changed_rows(W, S, hi):
    """The rows below ``hi`` of ``W`` that differ from the snapshot ``S``."""
    rows = np.empty(hi, np.int64)
    n = 0
    for x in range(hi):
        for k in range(W.shape[1]):
            if W[x, k] != S[x, k]:
                rows[n] = x
                n += 1
                break
    return rows[:n].copy()


@numba.njit(cache=True, nogil=True, inline="always")
def _slices(rows, shards):
    """``rows`` (in order) grouped by slice (x % shards), each group keeping their order: where each slice
    starts (shards + 1 bounds), the place of each row in the grouping, and its number within its slice."""
    start = np.zeros(shards + 1, np.int64)
    for i in range(rows.shape[0]):
        start[rows[i] % shards + 1] += 1
    for j in range(shards):
        start[j + 1] += start[j]
    at = start[:-1].copy()
    place = np.empty(rows.shape[0], np.int64)
    within = np.empty(rows.shape[0], np.int64)
    for i in range(rows.shape[0]):
        j = rows[i] % shards
        place[i] = at[j]
        within[at[j]] = rows[i] // shards
        at[j] += 1
    return start, place, within


@numba.njit(cache=True, nogil=True)
def _report_rows(W, S, hi, shards):
    """The rows below ``hi`` of ``W`` that differ from the snapshot ``S``, grouped by slice (their numbers
    within it, their values, where each slice starts: see RowSync.report); ``S`` takes their values. The
    rows are read in order, each written to its slice's next place."""
    rows = _changed_rows(W, S, hi)
    start, place, within = _slices(rows, shards)
    vals = np.empty((len(rows), W.shape[1]), W.dtype)
    for j in range(len(rows)):
        r, i = rows[j], place[j]
        for k in range(W.shape[1]):
            vals[i, k] = S[r, k] = W[r, k]
    return within, vals, start


@jit.cached(half, nogil=True)  # (it compiles in half.encode)
def _report_changes(W, S, hi, decode, shards):
    """The rows below ``hi`` of ``W`` that differ from the snapshot ``S``, grouped by slice as
    ``_report_rows``'s, with their changes from it as float16 codes (w2v.half); the rows of ``W`` take ``S``
    plus their rounded changes (``S`` stays until combined)."""
    rows = _changed_rows(W, S, hi)
    start, place, within = _slices(rows, shards)
    change = np.empty(W.shape[1], np.float32)
    bits = change.view(np.uint32)
    codes = np.empty((len(rows), W.shape[1]), np.uint16)
    for j in range(len(rows)):
        r, i = rows[j], place[j]
        for k in range(W.shape[1]):
            change[k] = W[r, k] - S[r, k]
        for k in range(W.shape[1]):  # (a loop of its own, which LLVM vectorises)
            codes[i, k] = encode(bits[k])
        for k in range(W.shape[1]):
            W[r, k] = S[r, k] + decode[codes[i, k]]
    return within, codes, start


@numba.njit(cache=True, nogil=True, inline="always")
def _merged(rows):
    """The owner j, position p and row (rows[j][p] * len(rows) + j) of every row of the slices ``rows`` (a
    tuple: slice j's rows within it, in increasing order), in the rows' order."""
    n = len(rows)
    total = 0
    for j in range(n):
        total += rows[j].shape[0]
    owner = np.empty(total, np.int64)
    at = np.empty(total, np.int64)
    row = np.empty(total, np.int64)
    pos = np.zeros(n, np.int64)
    for i in range(total):
        best, bj = -1, 0
        for j in range(n):
            p = pos[j]
            if p < rows[j].shape[0]:
                r = rows[j][p] * n + j
                if best < 0 or r < best:
                    best, bj = r, j
        owner[i], at[i], row[i] = bj, pos[bj], best
        pos[bj] += 1
    return owner, at, row


@numba.njit(cache=True, nogil=True)
def _take_values(W, S, rows, vals):
    """Set the rows of the slices ``rows`` (a tuple, slice j's rows within it) of the model ``W`` and of its
    snapshot ``S`` to the combined values ``vals`` (a tuple likewise), in the rows' order."""
    owner, at, row = _merged(rows)
    for i in range(owner.shape[0]):
        j, p, r = owner[i], at[i], row[i]
        v = vals[j]
        for k in range(W.shape[1]):
            W[r, k] = S[r, k] = v[p, k]


@numba.njit(cache=True, nogil=True)
def _take_changes(W, S, rows, codes, decode):
    """Set the rows of the slices ``rows`` (a tuple, slice j's rows within it) of the model ``W`` and of its
    snapshot ``S`` to those of ``S`` plus the combined changes ``codes`` (a tuple of float16 codes), in
    the rows' order."""
    owner, at, row = _merged(rows)
    for i in range(owner.shape[0]):
        j, p, r = owner[i], at[i], row[i]
        c = codes[j]
        for k in range(W.shape[1]):
            x = S[r, k] + decode[c[p, k]]
            W[r, k] = x
            S[r, k] = x


@numba.njit(cache=True, nogil=True)
def _add_changes(W, rows, codes, decode):
    """Add the changes ``codes`` (float16) to the rows ``rows`` of ``W``."""
    for j in range(rows.shape[0]):
        r = rows[j]
        for k in range(W.shape[1]):
            W[r, k] += decode[codes[j, k]]


def combine(changed, base, mode="sum", half=False):
    """The combined rows, [(rows, values, how many replicas need each back) for W_in, W_out], from each
    replica's changed rows and the combined model ``base`` they started from: the old row plus every
    replica's change (``sum``); plus their AdaSum (``adasum``: the replicas' changes folded in shard order by
    ``_adasum``, so that their parts orthogonal to each other add and their parallel parts average); or plus
    the mean of the S replicas' changes, a replica that did not change the row counting 0 (``mean`` and
    ``all``: ``mean`` is for replicas that step at S x the learning rate, so that every row, whichever k of
    the S replicas changed it, moves to first order by the sum of their changes at the learning rate;
    ``all`` is Spark MLlib's whole-model average). A row that one replica alone changed takes its value
    exactly where that is the combination (``sum``, ``adasum``; one replica), so one replica combines to
    itself bit for bit; otherwise every replica takes every combined row back. With ``half`` the replicas
    sent their changes as float16 codes, and the combined rows are such codes too, which ``apply`` adds."""
    out = []
    for m, W in enumerate(base):
        # the rows any replica changed, in order, and where each replica's rows sit among them (a mark per row
        # of the slice: linear in its rows, where sorting the concatenated ids took a third of the combination)
        n_at = np.zeros(W.shape[0], np.int64)
        for c in changed:
            n_at[c[m][0]] += 1
        uniq = np.flatnonzero(n_at)
        n = n_at[uniq]
        slot = np.cumsum(n_at > 0) - 1
        ats = [slot[c[m][0]] for c in changed]
        res = np.zeros((len(uniq), W.shape[1]), W.dtype) if half else W[uniq]
        for c, at in zip(changed, ats):
            if half:
                _add_coded(res, at, c[m][1], DECODE, n, len(changed), _MODES[mode])
            else:
                _add_change(res, at, c[m][0], c[m][1], W, n, len(changed), _MODES[mode])
        if mode not in ("sum", "adasum") and len(changed) > 1:
            n[:] = len(changed) + 1  # (every replica needs every combined row: none holds its value)
        out.append((uniq, encode_rows(res) if half else res, n))
    return out


def apply(W, rows, vals, half):
    """Set the combined model's ``rows`` to the combined ``vals`` (``half``: add these changes to them), to the
    float32 values each replica sets them to (RowSync.take)."""
    if half:
        _add_changes(W, aligned(rows), aligned(vals), DECODE)
    else:
        W[rows] = vals


SUM, MEAN, ADASUM = 0, 1, 2
# AdaSum's three dot products per row may be summed in any order (LLVM vectorises them: a row's fold took
# 300 dependent float64 additions), and a*b+c contracted; nothing else of fastmath (no NaN or inf
# assumptions: a diverged run's rows must stay NaN)
_REASSOC = {"reassoc", "contract"}
# (all: mean's arithmetic, at Spark's schedule and rate)
_MODES = {"sum": SUM, "mean": MEAN, "all": MEAN, "adasum": ADASUM}


@numba.njit(cache=True, nogil=True, fastmath=_REASSOC)
def _add_change(res, at, rows, vals, W, n, replicas, mode):
    """Add one replica's changed rows (their values) into the combined rows ``res`` (see combine)."""
    if mode == ADASUM:
        d = np.empty(res.shape[1], np.float32)
        g = np.empty(res.shape[1], np.float32)
        for j in range(rows.shape[0]):
            a, r = at[j], rows[j]
            if n[a] == 1:
                res[a] = vals[j]
                continue
            for k in range(res.shape[1]):
                d[k] = vals[j, k] - W[r, k]
                g[k] = res[a, k] - W[r, k]
            _adasum(g, d)
            for k in range(res.shape[1]):
                res[a, k] = W[r, k] + g[k]
        return
    scale = 1.0 if mode == SUM else 1.0 / replicas
    for j in range(rows.shape[0]):
        a, r = at[j], rows[j]
        if (mode == SUM or replicas == 1) and n[a] == 1:
            res[a] = vals[j]
            continue
        for k in range(res.shape[1]):
            res[a, k] += np.float32(scale * (vals[j, k] - W[r, k]))


@numba.njit(cache=True, nogil=True, fastmath=_REASSOC)
def _add_coded(res, at, codes, decode, n, replicas, mode):
    """Add one replica's changes (float16 codes) into the combined changes ``res``, which start at zero (see
    combine)."""
    if mode == ADASUM:
        d = np.empty(res.shape[1], np.float32)
        for j in range(codes.shape[0]):
            for k in range(res.shape[1]):
                d[k] = decode[codes[j, k]]
            _adasum(res[at[j]], d)
        return
    scale = 1.0 if mode == SUM else 1.0 / replicas
    for j in range(codes.shape[0]):
        a = at[j]
        for k in range(res.shape[1]):
            res[a, k] += np.float32(scale * decode[codes[j, k]])


@numba.njit(cache=True, nogil=True, inline="always")
def _adasum(g, d):
    """``g`` <- AdaSum(g, d) = (1 - g.d / 2|g|^2) g + (1 - g.d / 2|d|^2) d (Maleki et al., "Scaling Distributed
    Training with Adaptive Summation", MLSys 2021), for one row: two orthogonal changes add, two equal
    ones give one of them, so a frequent word's row that every replica moved the same way moves once, not S
    times (``sum``'s overshoot), while a rare word's row that one replica moved keeps its change (g = 0:
    exactly d). Sums in float64."""
    gd = gg = dd = 0.0
    for k in range(g.shape[0]):
        gd += g[k] * d[k]
        gg += g[k] * g[k]
        dd += d[k] * d[k]
    if dd == 0.0:
        return
    cg = 1.0 - gd / (2.0 * gg) if gg > 0.0 else 0.0
    cd = 1.0 - gd / (2.0 * dd)
    for k in range(g.shape[0]):
        g[k] = np.float32(cg * g[k] + cd * d[k])
