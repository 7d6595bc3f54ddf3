/*
 * limits.h — every bound in one place, with the reason beside it.
 *
 * A queue, loop, retry, batch or message without a bound is a bug: under load it grows until the
 * process dies. Each limit here is the single definition used by the code that enforces it.
 */
#ifndef PHANTOMZERO_LIMITS_H
#define PHANTOMZERO_LIMITS_H

/* Messaging ------------------------------------------------------------------------------- */

/* One message body; larger payloads are split (scans return chunks). 64 MiB keeps a single
 * message from pinning an unbounded amount of memory in a mailbox. */
#define PZ_MSG_BODY_BYTES_MAX (64u * 1024u * 1024u)
/* The envelope (in front of the body, one frame): two short addresses and a few integers. */
#define PZ_ENVELOPE_BYTES_MAX 1024u
/* An actor or module name ("repl", "storage.1"). */
#define PZ_NAME_BYTES_MAX 64u
/* An address: name[@endpoint]. */
#define PZ_ADDR_BYTES_MAX 256u
/* Mailbox depth (ZeroMQ high-water mark). Past it a send fails with PZ_EBUSY: backpressure
 * instead of memory growth. */
#define PZ_MAILBOX_MAX 4096
/* Messages handled for one actor before the loop moves to the next: fairness between actors on a
 * kernel thread. */
#define PZ_DRAIN_PER_ACTOR_MAX 64
/* Outstanding requests per actor awaiting a reply; each holds a timeout timer. */
#define PZ_PENDING_MAX 65536
/* Outbound connections cached per actor; least recently used is closed past this. */
#define PZ_PEERS_MAX 64
/* Decoded arrays and strings of one message live in its arena; this bounds the arena. */
#define PZ_ARENA_BYTES_MAX (256u * 1024u * 1024u)
/* msgpack nesting accepted by decoders: schemas nest at most a few levels. */
#define PZ_DECODE_DEPTH_MAX 16

/* Kernel --------------------------------------------------------------------------------- */

/* Actors (module instances) in one process. */
#define PZ_ACTORS_MAX 256
/* Kernel threads. */
#define PZ_THREADS_MAX 64
/* Timers armed at once on one kernel thread (each request arms its timeout there). */
#define PZ_TIMERS_MAX 131072
/* Modules and plugins loaded in one process. */
#define PZ_MODULES_MAX 32
/* Request timeout when the caller does not give one. */
#define PZ_REQUEST_TIMEOUT_MS_DEFAULT 10000
/* Metrics in the registry. */
#define PZ_METRICS_MAX 1024
/* Idle spinning (kernel/idle.c): how long a thread that ran out of work polls its inbox's
 * doorbell before it sleeps, by default. A wake-up costs ~6-10 us on these VMs and a five-layer
 * get's kernel work ~5 us, so 50 us covers the other side's turn with room to spare. */
#define PZ_IDLE_SPIN_US_DEFAULT 50
/* The longest window node/spin_us accepts: past a millisecond a sleep costs relatively nothing. */
#define PZ_IDLE_SPIN_US_MAX 1000
/* After this much of a spin the spinner yields the core between polls instead of pausing: on a
 * loaded machine the thread it waits for may be queued behind it on the same core. */
#define PZ_IDLE_PAUSE_US 2
/* A yield that took longer than this ran another thread on the spinner's core: the spin ends. */
#define PZ_IDLE_YIELD_CEDED_US 10
/* Doorbell polls in one spin: a backstop under the window (a poll with its pause is >= 10 ns). */
#define PZ_IDLE_SPIN_POLLS_MAX (1u << 20)
/* A thread that finds every spinner slot taken polls this long for one to come free before it
 * sleeps: a spinner notices its message within a poll or a yield (~1-2 us here) and frees its
 * slot, so a client that has just sent a request takes over the slot of the kernel thread that
 * receives it (idle.c, the hand-off). */
#define PZ_IDLE_HANDOFF_US 5
/* A spinner whose inbox also gets messages that ring no bell (tcp) really receives this often. */
#define PZ_IDLE_PROBE_US 5
/* Doorbells for in-process client inboxes, shared by client number modulo this; a clash costs
 * a spurious receive, never a missed message. */
#define PZ_CLIENT_BELLS_MAX 1024

/* KV protocol ---------------------------------------------------------------------------- */

/* Requests in one batch. A statement turns into one batch per range, so this bounds a statement's
 * fan-in at one range. Until multi-statement transactions exist (issue 4) a SQL statement's
 * writes must fit one batch to stay atomic: 100k requests is an INSERT ... SELECT of ~30k rows
 * into a table with two indexes, a few MB of message, well under PZ_MSG_BODY_BYTES_MAX. */
#define PZ_BATCH_REQS_MAX 100000
/* Keys returned by one scan request when the request gives no smaller limit: scans return
 * chunks and a resume key. */
#define PZ_SCAN_KEYS_MAX 10000
/* Bytes returned by one batch; a scan stops early with a resume key past it. */
#define PZ_BATCH_RESP_BYTES_MAX (16u * 1024u * 1024u)
/* One key. */
#define PZ_KEY_BYTES_MAX (64u * 1024u)
/* One value. */
#define PZ_VALUE_BYTES_MAX (32u * 1024u * 1024u)
/* Replicas of one range. */
#define PZ_REPLICAS_MAX 16

/* Transactions --------------------------------------------------------------------------- */

/* A transaction id: random bytes, as a UUID. */
#define PZ_TXN_ID_BYTES 16
/* Savepoint rollbacks one transaction remembers (each a sequence range); past it 54000. */
#define PZ_TXN_IGNORED_MAX 256
/* Lock spans a coordinator keeps per transaction (and END_TXN carries); past it the coordinator
 * merges neighbouring spans, so a huge transaction resolves wider spans rather than failing. */
#define PZ_TXN_SPANS_MAX 4096
/* Read spans a coordinator keeps for refresh; past it they are merged the same way. */
#define PZ_TXN_READ_SPANS_MAX 4096
/* Transactions QUERY_TXN reports as waiting on one transaction. */
#define PZ_TXN_DEPS_MAX 256
/* A record without a heartbeat for this long is expired: a pusher may abort it. CockroachDB's
 * TxnLivenessThreshold is 5 s with heartbeats every 1 s. */
/* The anchor (the key whose range holds the record) is the first written key cut to this many
 * bytes: the record's engine key escapes the anchor (up to twice its length) and must stay under
 * LMDB's 511-byte key limit, which the written key itself may come close to. */
#define PZ_TXN_ANCHOR_BYTES_MAX 200
#define PZ_TXN_EXPIRY_MS 5000
#define PZ_TXN_HEARTBEAT_MS 1000
/* Transactions one coordinator (txn actor) keeps open. */
#define PZ_TXN_OPEN_MAX 16384
/* Priorities: a push succeeds against a lower one. Normal transactions share one value (they
 * wait for each other; deadlocks are broken by detection); a restart raises it by one step so a
 * transaction that keeps losing eventually wins. */
#define PZ_TXN_PRIORITY_LOW 1u
#define PZ_TXN_PRIORITY_NORMAL 1000u
#define PZ_TXN_PRIORITY_HIGH 0x7fffffffu
/* MVCC garbage collection (modules/repl/repl_gcq.c): versions shadowed longer ago than gc.ttl
 * are removed by each repl's GC queue, and reads below a range's GC threshold fail
 * (PZ_EGC_THRESHOLD). The default TTL is CockroachDB's gc.ttlseconds (4 h); `--gc-ttl` and the
 * repl section's gc_ttl change it. */
#define PZ_GC_TTL_MS_DEFAULT (4ull * 3600ull * 1000ull)
/* How often the GC queue looks at its ranges (a short TTL makes it look every TTL / 4, never
 * more often than the minimum); gc_interval in the repl section changes it. */
#define PZ_GC_QUEUE_INTERVAL_MS 60000u
#define PZ_GC_QUEUE_INTERVAL_MIN_MS 100u
/* Versions one GC request of the queue may delete (storage also stops one after 20,000 keys
 * looked at, mvcc_gc.c): each request is a bounded piece of work, resumed from its key. */
#define PZ_GC_QUEUE_CHUNK_MAX 10000u
/* Ranges one GC queue keeps state for (past it, new ranges wait for the next sync). */
#define PZ_GC_QUEUE_RANGES_MAX 65536u

/* Replication and storage ---------------------------------------------------------------- */

/* Batches waiting behind latches at one replica. */
#define PZ_LATCH_WAITERS_MAX 16384
/* Write batches merged into one engine commit (group commit). */
#define PZ_GROUP_COMMIT_BATCHES_MAX 1024
/* Bytes merged into one engine commit. */
#define PZ_GROUP_COMMIT_BYTES_MAX (64u * 1024u * 1024u)
/* How long (µs) answered pipelined writes may wait in the commit queue for a commit to share
 * (storage config commit_linger_us; committer.h): the default, and the most it may be set to. */
#define PZ_COMMIT_LINGER_US_DEFAULT 5000
#define PZ_COMMIT_LINGER_US_MAX 100000
/* Queued bytes past which the commit queue stops lingering: a batch this large amortizes its
 * own fsync, and uncommitted writes held in memory (storage_pend.h) should stay small. */
#define PZ_COMMIT_LINGER_BYTES_MAX (64u * 1024u)
/* Ranges cached by one dist actor. */
#define PZ_RANGE_CACHE_MAX 65536
/* Requests a dist actor holds while it looks up a range descriptor. */
#define PZ_DIST_WAITERS_MAX 16384
/* A range that grows past this many bytes written (keys + values) is split near its middle
 * (repl config `range_max_bytes`, flag --range-max-bytes): CockroachDB's default range size.
 * The minimum keeps a test's tiny setting from splitting on every write. */
#define PZ_RANGE_BYTES_MAX_DEFAULT (512ll * 1024 * 1024)
#define PZ_RANGE_BYTES_MAX_MIN 1024

#endif
