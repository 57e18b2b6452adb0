"""Numba building blocks that every kernel module shares: the fastmath flags, casting to an array's float
type, the random numbers (splitmix64 and the alias-table draw), blocked dot products and updates, a float32
exp that LLVM vectorises (the softmax's), and compiling one body under several names (each with its own entry
in Numba's disk cache)."""

import hashlib
import math
import types

import numba
import numpy as np
from numba.extending import intrinsic, overload

FASTMATH = {"reassoc", "contract", "nsz", "arcp"}  # no nnan/ninf: NaN must propagate to the guard
MASK32 = np.uint64(0xFFFFFFFF)
MASK31 = np.uint64(0x7FFFFFFF)
_U32 = np.uint64(32)


def cast_like(x, arr):  # pragma: no cover - replaced by the overload inside Numba
    """``x`` as ``arr``'s element type (float32 training stays in float32; the float64 checks in float64)."""
    return arr.dtype.type(x)


@overload(cast_like)
def _cast_like_impl(x, arr):
    dt = arr.dtype

    def impl(x, arr):
        return dt(x)

    return impl


# ---------------------------------------------------------------- random numbers
@numba.njit(inline="always")
def rng_next(state):
    """splitmix64: returns (new state, 64 random bits)."""
    state = state + np.uint64(0x9E3779B97F4A7C15)
    z = state
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return state, z ^ (z >> np.uint64(31))


@numba.njit(inline="always")
def draw_noise(noise, r):
    """One draw from the alias table (tables.alias_table) with 64 random bits: the high half picks the slot,
    31 bits of the low half decide."""
    v = np.uint64(noise.shape[0])
    slot = np.int64(((r >> _U32) * v) >> _U32)
    if np.uint32(r & MASK31) < noise[slot, 0]:
        return slot
    return noise[slot, 1]


@numba.njit(inline="always")
def draw_targets(target, noise, negative, keep_target, into, state):
    """A sampled step's rows into ``into``: the target, then ``negative`` draws from the noise table; a draw
    equal to the target is skipped (word2vec.c's negative sampling) unless ``keep_target`` (NCE). Returns
    (how many, rng state)."""
    into[0] = target
    n = 1
    for _ in range(negative):
        state, r = rng_next(state)
        w = draw_noise(noise, r)
        if w != target or keep_target:
            into[n] = w
            n += 1
    return n, state


@numba.njit(inline="always")
def chunk_seed(seed, epoch, position):
    """The random state of the chunk that starts at ``position`` of epoch ``epoch``."""
    s = np.uint64(seed) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(epoch) * np.uint64(0xD1B54A32D192ED03)
    s, r = rng_next(s + np.uint64(position))
    return r


def _uniform_rows(W, seed, lo, scale):
    """Fill ``W`` (rows x dim, float32) with ``lo + scale * u``, ``u`` uniform on [0, 1) with 24 random
    bits, two values per 64 random bits; row ``r``'s values come from its own stream (``chunk_seed(seed, 0,
    r)``), so they depend on neither the threads nor the order the rows are filled in."""
    unit = np.float32(1.0 / (1 << 24))
    dim = W.shape[1]
    for r in numba.prange(W.shape[0]):
        row = W[r]
        state = chunk_seed(seed, 0, r)
        for k in range(0, dim, 2):
            state, bits = rng_next(state)
            row[k] = lo + scale * (np.float32(bits >> np.uint64(40)) * unit)
            if k + 1 < dim:
                row[k + 1] = lo + scale * (np.float32((bits >> np.uint64(16)) & np.uint64(0xFFFFFF)) * unit)


_uniform_rows_kernel = None


def uniform_rows(shape, seed, lo, hi, threads=None):
    """A new float32 array of ``shape`` (rows, dim), uniform on [lo, hi) (see ``_uniform_rows``), filled by
    ``threads`` threads (None: every core Numba has; the values are the same): about 1 ns a value on one
    core, where numpy's PCG64 takes 10 (2.1M fastText rows of 100: 2.2 s with numpy)."""
    global _uniform_rows_kernel
    if _uniform_rows_kernel is None:
        _uniform_rows_kernel = numba.njit(cache=True, parallel=True, _nrt=False)(_uniform_rows)
    W = np.empty(shape, np.float32)
    before = numba.get_num_threads()  # (Numba's count is this thread's own)
    numba.set_num_threads(max(1, min(threads or before, numba.config.NUMBA_NUM_THREADS)))
    try:
        _uniform_rows_kernel(W, np.uint64(seed & 0xFFFFFFFFFFFFFFFF), np.float32(lo), np.float32(hi - lo))
    finally:
        numba.set_num_threads(before)
    return W


# ---------------------------------------------------------------- blocked vector loops
@numba.njit(fastmath=FASTMATH, inline="always")
def dot(a, b):
    s = cast_like(0.0, a)
    for k in range(a.shape[0]):
        s += a[k] * b[k]
    return s


@numba.njit(fastmath=FASTMATH, inline="always")
def dots4(h, o0, o1, o2, o3):
    """Four dot products sharing ``h``: one load of h[k] feeds four multiply-adds."""
    s0 = s1 = s2 = s3 = cast_like(0.0, h)
    for k in range(h.shape[0]):
        x = h[k]
        s0 += x * o0[k]
        s1 += x * o1[k]
        s2 += x * o2[k]
        s3 += x * o3[k]
    return s0, s1, s2, s3


@numba.njit(fastmath=FASTMATH, inline="always")
def axpy4(y, a0, x0, a1, x1, a2, x2, a3, x3):
    """y += a0 x0 + a1 x1 + a2 x2 + a3 x3 in one pass over y."""
    for k in range(y.shape[0]):
        y[k] += a0 * x0[k] + a1 * x1[k] + a2 * x2[k] + a3 * x3[k]


# exp for the softmax's float32 scores in loops that LLVM vectorises (libm's expf, one call per score, cost
# 2.1-2.6 ns each, 0.7-0.8 here): x = n ln 2 + r with |r| <= ln 2 / 2, exp(r) by Cephes' expf polynomial
# (relative error below 1e-7, float32's own), times 2^n by adding n to the result's exponent bits
_LOG2E = np.float32(1.4426950408889634)
_LN2_HI, _LN2_LO = np.float32(0.693359375), np.float32(-2.12194440e-4)
_EXP_FLOOR = np.float32(-87.0)  # exp(-87) ~ 1.6e-38, near float32's smallest normal: lower scores count as it
_EXP_POLY = tuple(np.float32(c) for c in (1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2,
                                          1.6666665459e-1, 5.0000001201e-1))


def exp_shifted(p, m, e):  # pragma: no cover - replaced by the overload inside Numba
    """``p[v] <- exp(p[v] - m)`` for ``m >= max(p)``; returns their sum in float64. Vectorised for float32
    ``p`` (``e``: int32 scratch as long as ``p``), libm's exp otherwise (float64: the gradient checks)."""
    raise NotImplementedError


@overload(exp_shifted, jit_options={"forceinline": True})
def _exp_shifted_impl(p, m, e):
    if p.dtype != numba.types.float32:
        def exact(p, m, e):
            z = 0.0
            for v in range(p.shape[0]):
                p[v] = math.exp(p[v] - m)
                z += p[v]
            return z
        return exact
    c0, c1, c2, c3, c4, c5 = _EXP_POLY

    def vectorised(p, m, e):
        for v in range(p.shape[0]):
            x = max(p[v] - m, _EXP_FLOOR)
            n = np.floor(x * _LOG2E + np.float32(0.5))  # (np.floor keeps float32: math.floor gives an int)
            r = x - n * _LN2_HI - n * _LN2_LO
            y = ((((c0 * r + c1) * r + c2) * r + c3) * r + c4) * r + c5
            p[v] = y * r * r + r + np.float32(1.0)  # exp(r), in [0.70, 1.42]
            e[v] = np.int32(n)
        bits = p.view(np.int32)
        for v in range(p.shape[0]):
            bits[v] += e[v] << 23  # times 2^n, n >= -126: a normal float
        z = 0.0
        for v in range(p.shape[0]):
            z += p[v]
        return z
    return vectorised


# ---------------------------------------------------------------- asking for a row before it is needed
@intrinsic
def prefetch(typingctx, arr, i):
    """Ask the caches for every line of row ``i`` of the 2-D ``arr`` (its rows contiguous), or for the line of
    item ``i`` of a 1-D ``arr``, to be written (x86's ``prefetchw``, through LLVM's ``llvm.prefetch``). A hint
    that changes no value, so ``i`` is not checked. A loop that knows its rows ahead (GloVe's shuffled pairs,
    a subword position's rows, a centre word's output row, the corpus scan's next tokens' table entries)
    hides their cache misses behind the work before them."""
    if not (isinstance(arr, numba.types.Array) and arr.ndim in (1, 2) and isinstance(i, numba.types.Integer)):
        return None

    def codegen(context, builder, signature, args):
        from llvmlite import ir
        from numba.core import cgutils

        aryty, ity = signature.args
        ary = context.make_array(aryty)(context, builder, args[0])
        i64, i32 = ir.IntType(64), ir.IntType(32)
        row = context.cast(builder, args[1], ity, numba.types.intp)
        item = ir.Constant(i64, context.get_abi_sizeof(context.get_data_type(aryty.dtype)))
        if aryty.ndim == 1:
            ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [row], wraparound=False)
            nbytes = item
        else:
            ptr = cgutils.get_item_pointer(context, builder, aryty, ary, [row, ir.Constant(i64, 0)], wraparound=False)
            nbytes = builder.mul(builder.extract_value(ary.shape, 1), item)
        start = builder.ptrtoint(ptr, i64)
        first = builder.and_(start, ir.Constant(i64, ~63))  # the line of the first byte ...
        end = builder.add(start, nbytes)  # ... to the line of the last
        i8p = ir.IntType(8).as_pointer()
        fn = cgutils.get_or_insert_function(builder.module, ir.FunctionType(ir.VoidType(), [i8p, i32, i32, i32]),
                                            "llvm.prefetch.p0")
        with cgutils.for_range_slice(builder, first, end, ir.Constant(i64, 64)) as (line, _):
            # (address, 1: to be written, 3: keep in every cache level, 1: data)
            builder.call(fn, [builder.inttoptr(line, i8p), ir.Constant(i32, 1), ir.Constant(i32, 3), ir.Constant(i32, 1)])
        return context.get_dummy_value()

    return numba.types.void(arr, i), codegen


# ---------------------------------------------------------------- a lane's private copy of shared rows
# A lane may train its own copy of some rows of a shared matrix (the NPLM's hidden layer, the hierarchical
# softmax's hottest nodes) and add what it learned to the shared rows now and then, instead of writing
# them on every example: ``take_rows`` starts the copy and its snapshot, ``give_rows`` adds the change,
# ``out_row`` reads a row from the copy where it has one.
def hot_pick(W_out, W_hot, r):  # pragma: no cover - replaced by the overload inside Numba
    """(the array, the index) that hold row ``r`` of a shared matrix (``out_row``)."""
    raise NotImplementedError


@overload(hot_pick, jit_options={"forceinline": True})
def _hot_pick_impl(W_out, W_hot, r):
    if W_hot is None or isinstance(W_hot, (numba.types.NoneType, numba.types.Omitted)):
        return lambda W_out, W_hot, r: (W_out, r)

    def impl(W_out, W_hot, r):
        first = W_out.shape[0] - W_hot.shape[0]
        if r >= first:
            return W_hot, r - first
        return W_out, r
    return impl


@numba.njit(inline="always")
def out_row(W_out, W_hot, r):
    """Row ``r`` of a shared matrix (the output layer): ``W_out[r]``, or the lane's own copy when ``r`` is
    among the last ``len(W_hot)`` rows (``W_hot`` None: always ``W_out[r]``). (Numba's IR inlining: a row
    view may not be returned from a compiled call in kernels without reference counting; ``hot_pick``
    returns arrays it was given.)"""
    M, i = hot_pick(W_out, W_hot, r)
    return M[i]


@numba.njit(inline="always")
def take_rows(shared, mine, base):
    """``mine`` and ``base`` (k x d) from the last k rows of ``shared``."""
    first = shared.shape[0] - mine.shape[0]
    for j in range(mine.shape[0]):
        row, m, b = shared[first + j], mine[j], base[j]
        for k in range(row.shape[0]):
            m[k] = b[k] = row[k]


@numba.njit(fastmath=FASTMATH, inline="always")
def give_rows(shared, mine, base, share):
    """The last k rows of ``shared`` take ``share`` times what ``mine`` learned since ``take_rows`` (the other
    lanes' changes already given stay in them)."""
    first = shared.shape[0] - mine.shape[0]
    s = cast_like(share, mine)
    for j in range(mine.shape[0]):
        row, m, b = shared[first + j], mine[j], base[j]
        for k in range(row.shape[0]):
            row[k] += s * (m[k] - b[k])


# ---------------------------------------------------------------- the row kernels' vector loops
# LLVM's loop vectorizer chooses how many vectors one pass of a loop covers (its interleave). The kernels'
# row loops are short (dim 100) and run fastest in passes of 16 floats: on the AVX-512 machine (znver4, one
# vector of 16) one vector a pass beat LLVM's four by 5-20% (bench/RESULTS.md, "One vector per loop
# iteration"); on the AVX2 machine (Zen 3, vectors of 8) two a pass beat one by 5-18% for the word2vec
# kernels and 7% for GloVe's epoch, and four did no better than two ("Passes of 16 floats"). So the row
# kernels compile with the interleave that makes a pass 16 floats of the vectors LLVM uses here
# (``interleave()``, read off a probe's assembly). The setting is LLVM's process-wide option, so it is set
# only while those kernels, and the functions they call that are compiled on their own (whoever compiles
# those first), compile: the first pass of their pipeline sets it, the last puts it back once no such
# compile is under way (they nest). A compile that fails midway leaves it set: the process's other Numba
# loops then compile with it too (their speed changes, never their results' meaning). Numba's disk cache
# keys a kernel by the machine's CPU name and features, from which the choice follows; a change to the rule
# must change the kernels' sources too (the lane kernels' names carry a digest of this file, and so do
# GloVe's epoch and output/kernels.py's own cached functions: ``cached``).
FLOATS_PER_PASS = 16
_interleave = []


def interleave(floats_per_pass=FLOATS_PER_PASS):
    """The vector interleave that makes a pass of a float32 row loop ``floats_per_pass`` floats on this
    machine (at least one vector): for 16, 1 where LLVM vectorises with AVX-512's 16-float registers, 2 with
    AVX's 8-float ones, 4 with 4-float ones (SSE, NEON), as a small axpy loop compiled here shows."""
    if not _interleave:
        probe = numba.njit(_axpy_probe)
        probe.compile((numba.float32[::1], numba.float32[::1], numba.float32))
        asm = probe.inspect_asm(probe.signatures[0])
        _interleave.append(16 if "zmm" in asm else 8 if "ymm" in asm else 4)  # floats per vector
    return max(1, floats_per_pass // _interleave[0])


def _axpy_probe(y, x, a):
    for k in range(y.shape[0]):
        y[k] += a * x[k]


_vector_depth = [0]


def _vector_pass(name, step, floats_per_pass):
    from numba.core.compiler_machinery import LoweringPass, register_pass

    @register_pass(mutates_CFG=False, analysis_only=True)
    class VectorOption(LoweringPass):  # (a function pass would be checked for IR it does not touch)
        _name = name

        def __init__(self):
            LoweringPass.__init__(self)

        def run_pass(self, state):
            import llvmlite.binding as llvm

            if step > 0 and _vector_depth[0] == 0:
                llvm.set_option("", f"-force-vector-interleave={interleave(floats_per_pass)}")  # (probe first)
            depth = _vector_depth[0] = max(0, _vector_depth[0] + step)
            if step < 0 and depth == 0:
                llvm.set_option("", "-force-vector-interleave=0")  # LLVM's own choice again
            return False
    return VectorOption


_ROW_COMPILERS = {}  # floats per pass -> its pipeline class


def row_compiler(floats_per_pass=FLOATS_PER_PASS):
    """Numba's nopython pipeline between two passes that set and put back LLVM's vector interleave, for
    passes of ``floats_per_pass`` floats (the ``pipeline_class`` of the kernels over rows: the lane kernels,
    the functions they call that compile on their own, GloVe's epoch). A nested compile keeps the setting
    of the outermost one."""
    if floats_per_pass not in _ROW_COMPILERS:
        from numba.core.compiler import CompilerBase, DefaultPassBuilder
        from numba.core.compiler_machinery import PassManager

        on = _vector_pass(f"w2v_vector_on_{floats_per_pass}", 1, floats_per_pass)
        off = _vector_pass(f"w2v_vector_off_{floats_per_pass}", -1, floats_per_pass)

        class RowCompiler(CompilerBase):
            def define_pipelines(self):
                default = DefaultPassBuilder.define_nopython_pipeline(self.state)
                pm = PassManager("w2v_rows")
                pm.add_pass(on, "LLVM's vector options for the row kernels")
                for pass_, description in default.passes:
                    pm.add_pass(pass_, description)
                pm.add_pass(off, "LLVM's vector options back")
                pm.finalize()
                return [pm]
        _ROW_COMPILERS[floats_per_pass] = RowCompiler
    return _ROW_COMPILERS[floats_per_pass]


# ---------------------------------------------------------------- one body, several cached kernels
def renamed(fn, name, **globals_):
    """``fn`` as a new function called ``name``, with ``globals_`` overriding its module's globals.

    Numba's disk cache is keyed by the function's name, so each specialisation of one body (the window
    loop per architecture, GloVe's serial and parallel epochs) needs its own; globals set here are
    compile-time constants, so Numba prunes the branches they rule out before typing them."""
    try:
        code = fn.__code__.replace(co_name=name, co_qualname=name)
    except TypeError:  # Python 3.10 has no co_qualname
        code = fn.__code__.replace(co_name=name)
    return types.FunctionType(code, dict(fn.__globals__, **globals_), name)


def source_digest(*paths):
    """A short digest of these source files. Numba checks only the cached function's own file
    for changes; a kernel that inlines code from other modules puts this digest in its name, so editing
    any of them compiles it again instead of loading a stale copy."""
    h = hashlib.sha1()
    for path in paths:
        with open(path, "rb") as f:
            h.update(f.read())
    return h.hexdigest()[:8]


def cached(*modules, **options):
    """``numba.njit(cache=True, **options)`` for a function that compiles in code or constants of the other
    w2v ``modules`` (an inlined step, a table): its disk-cache entry, named by the function's qualified
    name, gets their ``source_digest`` in that name, so editing any of them compiles it again (Numba would
    check the function's own file only). The function keeps its name as a module attribute; ``fn`` itself
    is not changed (a copy sharing its code and globals carries the new name)."""
    digest = source_digest(*(m.__file__ for m in modules))

    def wrap(fn):
        named = types.FunctionType(fn.__code__, fn.__globals__, fn.__name__, fn.__defaults__, fn.__closure__)
        named.__qualname__, named.__doc__ = f"{fn.__qualname__}_{digest}", fn.__doc__
        return numba.njit(cache=True, **options)(named)
    return wrap
