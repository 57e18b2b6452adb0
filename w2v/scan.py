"""Numba kernels of the corpus pass: split bytes into tokens, count them, emit provisional ids.

One pass over the raw bytes does both the vocabulary count and the encoding. Every new token type gets
a *provisional id* (its order of first appearance); the token stream is written as provisional ids with
-1 at line ends. Once the vocabulary is known, ``remap_block`` turns provisional ids into final ids,
drops out-of-vocabulary tokens and caps sentences at ``MAX_SENTENCE`` tokens. Strings never enter
Numba: a token type is a slice of ``arena`` (its bytes followed by a ``\\n`` separator).

Tokens are separated by ASCII whitespace (space, tab, newline, CR, VT, FF) and NUL; a newline ends a
sentence. Tokens longer than ``MAX_TOKEN_BYTES`` are skipped and counted, leaving ``GAP`` in the
provisional stream: training drops it (``remap_block``), phrases do not count a bigram across it (the
joining pass, which reads the text, could never join one).

Bytes that are not UTF-8 follow one rule everywhere: a token's invalid sequences become U+FFFD as the scan
reads it (``canonical``: Python's ``decode("utf-8", "replace")``, a maximal invalid subpart at a time),
before it is hashed or stored, and the token is counted in ``st[ST_INVALID]``. So a table holds valid
UTF-8 only, two byte strings that decode alike are one type, and a table frozen with decoded words (a
vocabulary file, a resume, the second read after a spill) finds every occurrence again.
"""

import numba
import numpy as np

from w2v import jit
from w2v.jit import prefetch

MAX_TOKEN_BYTES = 1000
MAX_SENTENCE = 1000  # word2vec.c's MAX_SENTENCE_LENGTH

# indices into the scanner state vector ``st``
(ST_N, ST_ARENA, ST_NEXT_PID, ST_SENT, ST_SKIP, ST_OVERLONG, ST_TOKENS, ST_FROZEN, ST_LIMIT, ST_INVALID,
 ST_SEEDED) = range(11)  # ST_SEEDED: entries 0..ST_SEEDED-1 are seed words, which pruning keeps
ST_SIZE = 11
GAP = -2  # the provisional stream's mark where an overlong token was skipped: no word, but not adjacent either

# statuses returned by scan_block
DONE, NEED_GROW, OUT_FULL, NEED_PRUNE = 0, 1, 2, 3

_FNV_OFFSET = np.uint64(14695981039346656037)
_FNV_PRIME = np.uint64(1099511628211)


SPACE = np.zeros(256, np.bool_)
SPACE[[32, 10, 9, 13, 11, 12, 0]] = True  # space, newline, tab, CR, VT, FF, NUL


@numba.njit(inline="always")
def _is_space(c):
    return SPACE[c]


@numba.njit(inline="always")
def _utf8_rest(c):
    """For a UTF-8 lead byte ``c``: (continuation bytes it needs, the range of the first one); 0 needed:
    not a lead byte (the ranges exclude overlong forms, surrogates and code points beyond U+10FFFF)."""
    if 0xC2 <= c <= 0xDF:
        return 1, 0x80, 0xBF
    if c == 0xE0:
        return 2, 0xA0, 0xBF
    if c == 0xED:
        return 2, 0x80, 0x9F
    if 0xE1 <= c <= 0xEF:
        return 2, 0x80, 0xBF
    if c == 0xF0:
        return 3, 0x90, 0xBF
    if 0xF1 <= c <= 0xF3:
        return 3, 0x80, 0xBF
    if c == 0xF4:
        return 3, 0x80, 0x8F
    return 0, 0, 0


@numba.njit(inline="always")
def canonical(buf, s, e, fix):
    """``buf[s:e]`` with every maximal invalid UTF-8 subpart replaced by U+FFFD (EF BF BD), as Python's
    ``decode("utf-8", "replace")`` then ``encode()``, written to ``fix``; returns its length, or -1 when
    the bytes are valid UTF-8 as they are (nothing written)."""
    i = s
    while i < e and buf[i] < 0x80:  # (the common case: ASCII)
        i += 1
    if i == e:
        return -1
    o = 0
    for k in range(s, i):
        fix[o] = buf[k]
        o += 1
    changed = False
    while i < e:
        c = buf[i]
        if c < 0x80:
            fix[o] = c
            o += 1
            i += 1
            continue
        need, lo, hi = _utf8_rest(c)
        k = 1
        while k <= need and i + k < e:
            b = buf[i + k]
            if not ((lo <= b <= hi) if k == 1 else (0x80 <= b <= 0xBF)):
                break
            k += 1
        if need > 0 and k == need + 1:
            for t in range(k):
                fix[o + t] = buf[i + t]
            o += k
        else:  # a lead byte and the continuation bytes that fit it: one replacement character
            fix[o] = 0xEF
            fix[o + 1] = 0xBF
            fix[o + 2] = 0xBD
            o += 3
            changed = True
        i += k
    return o if changed else -1


@numba.njit(inline="always")
def token_hash(buf, s, e):
    """FNV-1a of ``buf[s:e]``, the hash every token table here uses."""
    h = _FNV_OFFSET
    for i in range(s, e):
        h = (h ^ np.uint64(buf[i])) * _FNV_PRIME
    return h


@numba.njit(cache=True, nogil=True)
def hash_words(arena, off, length):
    """token_hash of each word ``arena[off[i]:off[i] + length[i]]``."""
    h = np.empty(off.shape[0], np.uint64)
    for i in range(off.shape[0]):
        h[i] = token_hash(arena, off[i], off[i] + length[i])
    return h


@numba.njit(inline="always")
def find_entry(buf, s, length, h, slots, e_hash, e_off, e_len, arena):
    """Look up the token ``buf[s:s+length]`` (hash ``h``) in an open-addressing table: returns ``(slot,
    entry)``, entry -1 (and the empty slot it would take) when the token is not there."""
    mask = np.int64(slots.shape[0] - 1)
    j = np.int64(h & np.uint64(mask))
    while True:  # (this shape, with early returns, compiles to a loop twice as fast as one with breaks)
        e = slots[j]
        if e < 0:
            return j, e
        if e_hash[e] == h and e_len[e] == length:
            o = e_off[e]
            k = 0
            while k < length and arena[o + k] == buf[s + k]:
                k += 1
            if k == length:
                return j, e
        j = (j + 1) & mask


@numba.njit(inline="always")
def _room(st, length, slots, e_hash, arena):
    """Whether the table has room for one more entry of ``length`` bytes (Table.grow makes it)."""
    return st[ST_N] < e_hash.shape[0] and st[ST_ARENA] + length + 1 <= arena.shape[0] and 2 * st[ST_N] < slots.shape[0]


@numba.njit(inline="always")
def _new_entry(src, at, length, h, j, slots, e_hash, e_off, e_len, e_count, e_pid, arena, st):
    """Add the type ``src[at:at + length]`` (hash ``h``) in the empty slot ``j`` with count 0 and the next
    provisional id; returns its entry."""
    e = st[ST_N]
    st[ST_N] += 1
    slots[j] = e
    e_hash[e] = h
    o = st[ST_ARENA]
    e_off[e] = o
    e_len[e] = length
    for k in range(length):
        arena[o + k] = src[at + k]
    arena[o + length] = 10
    st[ST_ARENA] = o + length + 1
    e_count[e] = 0
    e_pid[e] = st[ST_NEXT_PID]
    st[ST_NEXT_PID] += 1
    return e


# A block is scanned in two passes over up to SPLIT_TOKENS tokens at a time: ``_split`` cuts them and hashes
# them; ``_count`` looks each up in the table while asking the caches for the slot of the token AHEAD_SLOT
# places on, for the entry of the one AHEAD_ENTRY places on (its slot asked for before) and for the bytes of
# the one AHEAD_ARENA places on, so that a rare word's table lines arrive while the tokens before it are
# counted (one pass token by token waited for each: the kernel's median 0.78 s against 0.70 s over the first
# 10M tokens of bench-en; bench/RESULTS.md, "The scan's table asked for ahead").
SPLIT_TOKENS = 4096
AHEAD_SLOT, AHEAD_ENTRY, AHEAD_ARENA = 8, 4, 2
# what ``_split`` records in a token's length: a newline, an overlong token, or ``INVALID - length`` for a
# token whose bytes are not valid UTF-8 (made canonical when counted)
NEWLINE, OVERLONG, INVALID = -1, -2, -3
# how ``_split`` stopped: with the bytes, at a token the next buffer continues (not recorded), after an
# overlong token the next buffer continues (recorded; the rest of it is skipped there)
TAIL_NONE, TAIL_CARRY, TAIL_SKIP = 0, 1, 2


def scratch():
    """``scan_block``'s scratch: one token made canonical, and the tokens split ahead of their lookup (their
    starts, lengths or marks, hashes)."""
    return (np.empty(3 * MAX_TOKEN_BYTES, np.uint8), np.empty(SPLIT_TOKENS, np.int64),
            np.empty(SPLIT_TOKENS, np.int64), np.empty(SPLIT_TOKENS, np.uint64))


@numba.njit(inline="always")
def _split(buf, i, end, final, fix, t_at, t_len, t_hash):
    """Cut ``buf[i:end]`` into up to ``len(t_at)`` records (newlines, tokens with their hash, overlong and
    invalid tokens marked); returns ``(records, where the next split starts, TAIL_*)``."""
    n = 0
    while i < end and n < t_at.shape[0]:
        c = buf[i]
        if _is_space(c):
            if c == 10:
                t_at[n] = i
                t_len[n] = NEWLINE
                n += 1
            i += 1
            continue
        s = i
        while i < end and not _is_space(buf[i]):
            i += 1
        length = i - s
        if i == end and not final and length <= MAX_TOKEN_BYTES:
            return n, s, TAIL_CARRY
        t_at[n] = s
        n += 1
        if length > MAX_TOKEN_BYTES:
            t_len[n - 1] = OVERLONG
            if i == end and not final:
                return n, end, TAIL_SKIP
        elif canonical(buf, s, i, fix) >= 0:
            t_len[n - 1] = INVALID - length
        else:
            t_len[n - 1] = length
            t_hash[n - 1] = token_hash(buf, s, i)
    return n, i, TAIL_NONE


@numba.njit(inline="always")
def _home_entry(t, n, t_len, t_hash, slots, mask):
    """The entry in the home slot of ``_split``'s record ``t`` (most often its type's), -1 when the slot is
    empty or ``t`` is not a plain token of the ``n`` records."""
    if t >= n or t_len[t] < 0:
        return -1
    return slots[np.int64(t_hash[t] & mask)]


@numba.njit(inline="always")
def _count(buf, n, t_at, t_len, t_hash, frozen, slots, e_hash, e_off, e_len, e_count, e_pid, arena, st, out, out_n,
           fix):
    """Count the ``n`` records of ``_split`` into the table and write their provisional ids; returns
    ``(pos, out_n, status)``: ``DONE`` (pos -1) when all are counted, else the status and the byte where
    the record that was not recorded starts."""
    mask = np.uint64(slots.shape[0] - 1)
    for t in range(n):
        if t + AHEAD_SLOT < n and t_len[t + AHEAD_SLOT] >= 0:
            prefetch(slots, np.int64(t_hash[t + AHEAD_SLOT] & mask))
        a = _home_entry(t + AHEAD_ENTRY, n, t_len, t_hash, slots, mask)
        if a >= 0:
            prefetch(e_hash, a)
            prefetch(e_off, a)
            prefetch(e_len, a)
            prefetch(e_count, a)
            prefetch(e_pid, a)
        a = _home_entry(t + AHEAD_ARENA, n, t_len, t_hash, slots, mask)
        if a >= 0:
            prefetch(arena, e_off[a])
        s, k = t_at[t], t_len[t]
        if k == NEWLINE:
            if st[ST_SENT] > 0:
                if out_n >= out.shape[0]:
                    return s, out_n, OUT_FULL
                out[out_n] = -1
                out_n += 1
                st[ST_SENT] = 0
            continue
        if out_n >= out.shape[0]:
            return s, out_n, OUT_FULL
        if k == OVERLONG:
            st[ST_OVERLONG] += 1
            st[ST_TOKENS] += 1
            out[out_n] = GAP
            out_n += 1
            continue
        if not frozen and st[ST_LIMIT] > 0 and st[ST_N] >= st[ST_LIMIT]:
            return s, out_n, NEED_PRUNE
        src, at, length, h = buf, s, k, t_hash[t]
        fixed = k <= INVALID
        if fixed:
            src, at, length = fix, np.int64(0), np.int64(canonical(buf, s, s + INVALID - k, fix))
            h = token_hash(fix, 0, length)
        if not frozen and not _room(st, length, slots, e_hash, arena):
            return s, out_n, NEED_GROW
        j, e = find_entry(src, at, length, h, slots, e_hash, e_off, e_len, arena)
        st[ST_TOKENS] += 1
        if fixed:
            st[ST_INVALID] += 1
        if e < 0 and frozen:  # a fixed vocabulary: an unknown word gets the id after the known ones
            out[out_n] = st[ST_NEXT_PID]
            out_n += 1
            st[ST_SENT] += 1
            continue
        if e < 0:
            e = _new_entry(src, at, length, h, j, slots, e_hash, e_off, e_len, e_count, e_pid, arena, st)
        e_count[e] += 1
        out[out_n] = e_pid[e]
        out_n += 1
        st[ST_SENT] += 1
    return -1, out_n, DONE


@jit.cached(jit, nogil=True, _nrt=False)
def scan_block(buf, pos, end, final, slots, e_hash, e_off, e_len, e_count, e_pid, arena, st, out, out_n, scratch):
    """Tokenize ``buf[pos:end]``; returns ``(pos, out_n, status)``.

    On ``DONE`` ``pos`` is where an unfinished token starts (to be carried into the next buffer), or
    ``end``. On ``NEED_GROW``/``OUT_FULL``/``NEED_PRUNE`` nothing of the token at ``pos`` has been
    recorded yet: grow the tables (flush ``out``, prune rare types) and call again from ``pos``.
    ``st[ST_LIMIT]`` bounds the number of live types (0: no bound). ``scratch`` (``scratch()``) holds a
    token with invalid UTF-8 made canonical and the tokens split ahead: compiled without reference
    counting, the scan allocates nothing (the counts of the many arrays its inlined steps name cost it
    time per token).
    """
    fix, t_at, t_len, t_hash = scratch
    frozen = st[ST_FROZEN] != 0
    i = pos
    while i < end:
        if st[ST_SKIP] != 0:
            while i < end and not _is_space(buf[i]):
                i += 1
            if i == end:
                return end, out_n, DONE
            st[ST_SKIP] = 0
        n, after, tail = _split(buf, i, end, final, fix, t_at, t_len, t_hash)
        at, out_n, status = _count(buf, n, t_at, t_len, t_hash, frozen, slots, e_hash, e_off, e_len, e_count, e_pid,
                                   arena, st, out, out_n, fix)
        if status != DONE:
            return at, out_n, status
        if tail == TAIL_CARRY:
            return after, out_n, DONE
        if tail == TAIL_SKIP:
            st[ST_SKIP] = 1  # the rest of the overlong token comes with the next buffer
            return end, out_n, DONE
        i = after
    return end, out_n, DONE


@numba.njit(cache=True, nogil=True, _nrt=False)
def merge_entries(b_start, b_n, b_hash, b_off, b_len, b_count, b_pid, b_arena, slots, e_hash, e_off, e_len, e_count,
                  e_pid, arena, st, pid_map):
    """Add the entries ``b_start..b_n-1`` of a second table (the ``b_`` arrays: the count of a later part of
    the corpus) to this one, in their order: a type already here adds its count, a new one takes the next
    provisional id; ``pid_map[b_pid[e]]`` receives the id here. Returns the entry it stopped at: ``b_n``, or
    an earlier one when this table needs to grow (Table.grow; call again from there)."""
    for e in range(b_start, b_n):
        o, length = b_off[e], np.int64(b_len[e])
        j, a = find_entry(b_arena, o, length, b_hash[e], slots, e_hash, e_off, e_len, arena)
        if a < 0:
            if not _room(st, length, slots, e_hash, arena):
                return e
            a = _new_entry(b_arena, o, length, b_hash[e], j, slots, e_hash, e_off, e_len, e_count, e_pid, arena, st)
        e_count[a] += b_count[e]
        pid_map[b_pid[e]] = e_pid[a]
    return b_n


@numba.njit(cache=True, nogil=True, _nrt=False)
def map_ids(ids, n, pid_map):
    """Provisional ids ``ids[:n]`` through ``pid_map`` in place (line ends and GAP stay)."""
    for i in range(n):
        if ids[i] >= 0:
            ids[i] = pid_map[ids[i]]


@numba.njit(cache=True, nogil=True)
def rebuild_slots(slots, e_hash, n):
    """Re-insert entries ``0..n-1`` into an empty open-addressing table ``slots``."""
    slots[:] = -1
    mask = np.uint64(slots.shape[0] - 1)
    for e in range(n):
        j = np.int64(e_hash[e] & mask)
        while slots[j] >= 0:
            j = (j + 1) & np.int64(mask)
        slots[j] = e


@numba.njit(cache=True, nogil=True)
def prune_entries(e_hash, e_off, e_len, e_count, e_pid, arena, st, min_reduce):
    """Drop entries with count <= min_reduce (word2vec.c's ReduceVocab), compacting in place.

    Returns the number of tokens that the dropped entries had counted.
    """
    n = st[ST_N]
    kept = 0
    a = 0
    dropped_tokens = 0
    for e in range(n):
        if e_count[e] <= min_reduce and e_pid[e] >= st[ST_SEEDED]:
            dropped_tokens += e_count[e]
            continue
        o = e_off[e]
        length = e_len[e]
        for k in range(length + 1):
            arena[a + k] = arena[o + k]
        e_hash[kept] = e_hash[e]
        e_off[kept] = a
        e_len[kept] = length
        e_count[kept] = e_count[e]
        e_pid[kept] = e_pid[e]
        a += length + 1
        kept += 1
    st[ST_N] = kept
    st[ST_ARENA] = a
    return dropped_tokens


@numba.njit(cache=True, nogil=True, _nrt=False)
def remap_block(prov, n, remap, out, sent_len):
    """Map provisional ids to final ids; returns the number of ids written to ``out``.

    Drops ids that map to -1 (out of vocabulary), writes -1 at sentence ends (never an empty
    sentence) and splits sentences at MAX_SENTENCE tokens. ``sent_len[0]`` carries the length of the
    open sentence across blocks. ``out`` must hold ``n + n // MAX_SENTENCE + 1`` ids.
    """
    m = 0
    cur = sent_len[0]
    for i in range(n):
        p = prov[i]
        if p == GAP:
            continue
        if p < 0:
            if cur > 0:
                out[m] = -1
                m += 1
                cur = 0
            continue
        w = remap[p]
        if w < 0:
            continue
        out[m] = w
        m += 1
        cur += 1
        if cur == MAX_SENTENCE:
            out[m] = -1
            m += 1
            cur = 0
    sent_len[0] = cur
    return m


def warm_up():
    """Load (or compile) the scan kernels on tiny inputs, so Numba's one-time start-up is not charged
    to the first corpus block."""
    buf = np.frombuffer(b"a\n", np.uint8).copy()
    slots = np.full(4, -1, np.int32)
    entries = [np.zeros(2, t) for t in (np.uint64, np.int64, np.int32, np.int64, np.int64)]
    st = np.zeros(ST_SIZE, np.int64)
    out = np.empty(4, np.int32)
    scan_block(buf, 0, 2, True, slots, *entries, np.zeros(8, np.uint8), st, out, 0, scratch())
    rebuild_slots(slots, entries[0], 1)
    prune_entries(*entries, np.zeros(8, np.uint8), st, 0)
    remap_block(out, 0, np.zeros(1, np.int32), out, np.zeros(1, np.int64))
