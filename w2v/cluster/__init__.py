"""w2v's jobs on a Dask cluster (``--dask tcp://HOST:8786`` or ``--dask local:N``): the vocabulary, GloVe's
co-occurrences and data-parallel skip-gram/CBOW, with the kernels, vocabulary code and file formats of a
local run (nothing here is a second copy of them).

Shards. The inputs (files, directories, globs) are cut into pieces: plain files at line ends in byte
ranges (a piece owns the lines that start inside its range, so every line is read once), compressed
files whole. The pieces are dealt into ``S`` shards of about equal bytes, in order. Workers open their
pieces themselves (the paths must be visible to them): no text passes through the client or the
scheduler.

Vocabulary and co-occurrences. Each shard is counted by the Numba scan on a worker; counts are merged
pairwise in a tree of tasks; the vocabulary is then chosen as locally (count, then word), so it equals a
local count of the same files. Co-occurrences: every shard is encoded with that vocabulary and counted
on its worker; each returns its pairs partitioned by row, and one task per partition sums them, so the
matrix equals the local one up to the order of float64 sums. GloVe's training stays on the client.

Training (skip-gram and CBOW, every loss). One replica of the model per shard, an actor that keeps it in
memory for the whole run, with its shard encoded on its worker: it counts its shard for the vocabulary
(the tree above) with the scan that also writes the shard's ids, and remaps them once the vocabulary is
chosen, so the text is read once, as locally. Training goes in synchronous rounds: in each round every
replica starts from the same combined model and trains the next 1/R of its shard (whole blocks of the
encoded stream, as a local run's), then sends back the rows it changed: of the frequent words (HOT_SHARE
of the tokens) every round, all of them every ``--sync-hot`` rounds (a full synchronisation: pWord2Vec's
tiers, since the many rare words' rows are seldom changed by two replicas between full ones; a checkpoint
is taken only after a full one). The combination averages each row over the replicas that changed it
(SPARK-24666's fix of whole-model averaging; with one replica it is the identity, bit for bit), and sends
the changed rows to every replica. The learning rate follows each replica's share of its shard, which
every round advances by the same fraction for all, so all replicas share one global schedule over the
words trained by all. Random numbers come from (seed, epoch, position) as locally, with the seed mixed
with the shard's number (shard 0 keeps the seed), so a run is deterministic for a seed and a shard count,
whatever the timing, and one shard is bit-identical to a local ``--threads 1`` run. The client keeps the
last combined model: a replica whose worker dies is rebuilt from it on another worker and the rounds
since the last full synchronisation are trained again by all, which, the rounds being synchronous, gives
the same result.
"""
