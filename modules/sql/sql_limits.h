/*
 * sql_limits.h — the bounds of the sql module's pgwire server, each with its reason.
 *
 * STYLE.md keeps every limit in include/phantomzero/limits.h; these live here for now because
 * only the sql module uses them and the shared header belongs to the kernel. Move them there when
 * a second unit needs one.
 */
#ifndef PZ_SQL_LIMITS_H
#define PZ_SQL_LIMITS_H

/* One frontend message (type byte excluded). PostgreSQL accepts up to 1 GiB; a session holds its
 * whole message in memory, so 100 sessions at 1 GiB could pin 100 GiB. 16 MiB covers any query
 * text and bind parameters a client sends in practice; COPY data arrives in CopyData messages,
 * each far smaller. */
#define PZ_SQL_MSG_BYTES_MAX (16u * 1024u * 1024u)
/* The longest key a row or index entry may have, as the default engine stores it: LMDB's
 * 511-byte keys less MVCC's 2-byte terminator and 12-byte timestamp, counting each 0x00 byte
 * twice (it is escaped). Checked before writing: inside a transaction the engine would only
 * refuse the key when the intent resolves at commit, too late for a clear 54000. */
#define PZ_SQL_KEY_STORED_BYTES_MAX 497u
/* The startup packet, length word included: PostgreSQL's MAX_STARTUP_PACKET_LENGTH. */
#define PZ_SQL_STARTUP_BYTES_MAX 10000u
/* Startup parameters kept (name/value pairs); PostgreSQL has no bound, but 10000 bytes of packet
 * hold at most ~2500 and real clients send fewer than 20. */
#define PZ_SQL_STARTUP_PARAMS_MAX 64
/* A parameter value we keep and echo (user, database, application_name). PostgreSQL's NAMEDATALEN
 * is 64; application_name is truncated there too. */
#define PZ_SQL_NAME_BYTES_MAX 64u
/* SSLRequest / GSSENCRequest answered with 'N' before the real startup packet: a client sends
 * each at most once, so more than this is a broken or hostile client. */
#define PZ_SQL_NEGOTIATIONS_MAX 4
/* Time a new connection has to finish its startup packet: PostgreSQL's authentication_timeout
 * default (60 s) is generous for a loopback handshake; a half-open connection holds a slot. */
#define PZ_SQL_STARTUP_TIMEOUT_MS 60000u
/* A write to a client that stops reading fails after this, closing that connection: a session
 * thread must never hang forever on one client. */
#define PZ_SQL_WRITE_TIMEOUT_MS 30000u
/* Every blocking wait (poll) in the listener and the sessions wakes at least this often to check
 * for shutdown, so stopping the module is bounded by about this. */
#define PZ_SQL_POLL_MS 100
/* A ROLLBACK that only cleans up after a session that is going away waits this long at most:
 * when the node is stopping, its coordinator may never answer, and a rollback that does not
 * happen only leaves a record to expire (PZ_TXN_EXPIRY_MS). */
#define PZ_SQL_ABANDON_TIMEOUT_MS 1000u
/* Bytes of responses buffered before a session writes them to the socket. Responses are small
 * until the executor streams rows; a message that does not fit is a bug (asserted). */
#define PZ_SQL_OUT_BYTES_MAX (64u * 1024u)
/* A text field of an ErrorResponse (message, detail, hint): longer text is truncated, so one
 * error always fits in the output buffer. */
#define PZ_SQL_ERR_FIELD_BYTES_MAX 2048u
/* max_connections: the setting's upper bound (each session is a task with its own stack). */
#define PZ_SQL_CONNECTIONS_MAX 10000
/* Sessions allowed beyond max_connections only to finish the handshake and answer 53300, as
 * PostgreSQL does; connections past those get the 53300 error without a handshake. */
#define PZ_SQL_REJECT_SLOTS_MAX 16
/* Message nesting of a parse tree (each expression level is two: Node and, e.g., A_Expr).
 * protobuf-c's unpack recurses per level with ~1 KiB frames (about 4 KiB under ASan), so 2000
 * levels need at most ~8 MiB: within PZ_SQL_SESSION_STACK_BYTES. PostgreSQL itself stops such
 * trees with "stack depth limit exceeded" (max_stack_depth 2 MB). */
#define PZ_SQL_PARSE_DEPTH_MAX 2000
/* Queries up to this size are parsed without a complexity check: each level of parse tree takes
 * at least a byte of query, and libpg_query's recursive tree output was measured to fit 40000
 * levels in PZ_SQL_SESSION_STACK_BYTES (see sql_parse.c). */
#define PZ_SQL_PARSE_UNSCANNED_BYTES (32u * 1024u)
/* A longer query is refused (54001) past this many tokens that can nest (operators, keywords):
 * below the 40000 levels measured safe, far above any hand-written or ORM statement. */
#define PZ_SQL_PARSE_NESTING_TOKENS_MAX 30000
/* Tokens of one long query: libpg_query's parse and protobuf output were measured at ~270 MB and
 * 2.4 s for a million tokens (a 14 MiB flat SELECT list took 2.2 GB and 49 s). Until the
 * per-query memory budget of issue 3 exists, this keeps one statement near ~140 MB; bulk data
 * belongs in COPY, and 500k tokens is still a 50k-row, 10-column multi-row INSERT. */
#define PZ_SQL_PARSE_TOKENS_MAX 500000
/* Stack of a session (a task of sql_sched.c, mapped by it): the parse depth bound above holds
 * whatever the process's ulimit -s; pages are committed only when touched. */
#define PZ_SQL_SESSION_STACK_BYTES (16u * 1024u * 1024u)
/* Session worker threads (sql_sched.c): the setting's upper bound. */
#define PZ_SCHED_WORKERS_MAX 64
/* Helper threads that run detached tasks (pz_task_detach: huge parses, big sorts) at most;
 * started on demand. More detached tasks queue for them. */
#define PZ_SCHED_HELPERS_MAX 8
/* An in-memory sort of at least this many rows runs on a helper thread (pz_task_detach): tens of
 * milliseconds and more that would otherwise hold up every session of its worker. */
#define PZ_SQL_DETACH_ROWS 50000u
/* Pending connections in the kernel's accept queue. */
#define PZ_SQL_BACKLOG 128

/* The simple-protocol plan cache (sql_shape.h). Statements longer than this are parsed each
 * time: the cache is for the short statements an application repeats, where parsing is most of
 * the cost; a long one's parse is small beside its execution. */
#define PZ_SQL_SHAPE_QUERY_BYTES_MAX 4096u
/* Tokens of a cached statement: a 4 KiB statement has at most ~2000, usually far fewer. */
#define PZ_SQL_SHAPE_TOKENS_MAX 1024
/* Literals of a cached statement (its parameters): OLTP statements have a handful; a multi-row
 * INSERT with more is parsed each time (its parse is small beside its writes). */
#define PZ_SQL_SHAPE_LITS_MAX 64
/* A shape key: the statement's tokens, each length-prefixed, literals as two bytes. */
#define PZ_SQL_SHAPE_KEY_BYTES_MAX                                                                 \
    (2u * PZ_SQL_SHAPE_QUERY_BYTES_MAX + 2u * PZ_SQL_SHAPE_TOKENS_MAX)
/* Entries per connection, least recently used evicted: PostgreSQL keeps prepared plans per
 * backend too; an entry is its AST and plan (a few KiB to tens of KiB). */
#define PZ_SQL_SHAPE_ENTRIES_MAX 64
/* An entry whose statement and plan take more than this is not kept (bounds a connection's
 * cache to ENTRIES_MAX x this). */
#define PZ_SQL_SHAPE_ENTRY_BYTES_MAX (256u * 1024u)

#endif
