/*
 * kernel.h — what the kernel gives a module: messaging, timers, time, randomness, config,
 * logging and metrics.
 *
 * Every module instance is an actor (pz_actor_t) pinned to one kernel thread. Its hooks run on
 * that thread, one at a time. Actors talk only by messages over ZeroMQ: `inproc://` inside a
 * process, `tcp://` between processes; which one is decided by the topology config alone, so a
 * module cannot tell.
 *
 * Addresses are strings "name" (an actor of this process, or one the config routes to another
 * process) or "name@tcp://host:port" (an actor in the process listening there). The kernel stamps
 * every outgoing message with a sender address the receiver can reply to.
 *
 * Threading: functions taking a pz_actor_t* may be called only from that actor's hooks (its
 * thread). pz_log, metrics and the HLC are thread-safe.
 */
#ifndef PHANTOMZERO_KERNEL_H
#define PHANTOMZERO_KERNEL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "phantomzero/errors.h"
#include "phantomzero/hlc.h"
#include "phantomzero/msg.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct pz_actor pz_actor_t;
typedef struct pz_cfg pz_cfg_t;

/* ---------------------------------------------------------------------------------------- */
/* Messaging                                                                                 */

/* Sends a one-way message (no reply expected). On success consumes *out and sets it to NULL; on
 * failure leaves *out to the caller. PZ_EBUSY when the receiver's mailbox is full
 * (backpressure: the caller answers its own requester with an error or retries on a timer),
 * PZ_ENOTFOUND when the address routes nowhere. */
int pz_send(pz_actor_t *self, const char *to, pz_out_t **out);

/* Sends a request; the reply, or a synthesized PZ_ETIMEDOUT error reply after timeout_ms
 * (0 = PZ_REQUEST_TIMEOUT_MS_DEFAULT), arrives later through on_message with the same
 * correlation id, which is returned in *corr (corr may be NULL). `ctx` is the caller's: while
 * on_message handles that reply, pz_reply_ctx returns it (e.g. the client request this one
 * serves). Consumes *out on success only. A reply arriving after the timeout is dropped and
 * counted; the timeout reply is then the only one the actor sees. */
int pz_request(pz_actor_t *self, const char *to, pz_out_t **out, uint32_t timeout_ms, void *ctx,
               uint64_t *corr);

/* During on_message for a reply to pz_request: the ctx given there. NULL otherwise. */
void *pz_reply_ctx(pz_actor_t *self);

/* Replies with the body of another message (e.g. passing a reply from the layer below up to
 * the requester unchanged): same type, the body bytes copied once. Consumes nothing. */
int pz_reply_forward(pz_actor_t *self, const pz_msg_t *req, const pz_msg_t *body_of);

/* pz_request with the body of another message (e.g. passing a request on to the layer below
 * unchanged): same type, the body bytes copied once straight into the new frame. */
int pz_request_forward(pz_actor_t *self, const char *to, const pz_msg_t *body_of,
                       uint32_t timeout_ms, void *ctx, uint64_t *corr);

/* The address other processes reach this actor at: "name@<listen endpoint>", or the bare name
 * when this process does not listen. */
void pz_actor_address(const pz_actor_t *self, char *buf, size_t cap);

/* Replies to `req`: the reply goes to req's sender with req's correlation id and its deadline.
 * Consumes *out on success only. */
int pz_reply(pz_actor_t *self, const pz_msg_t *req, pz_out_t **out);

/* Replies to `req` with an error (code, message). Never fails in a way the caller must handle:
 * a reply that cannot be sent is counted and logged. */
void pz_reply_error(pz_actor_t *self, const pz_msg_t *req, int code, const char *message);

/* Takes ownership of a message handed to on_message so it outlives the hook (e.g. a request
 * parked behind a latch). Free it with pz_msg_free. */
pz_msg_t *pz_msg_keep(pz_msg_t *msg);

/* A mailslot lets a thread the module owns (e.g. storage's group-commit thread) post messages
 * to its own actor. Open it from the thread that will use it; one thread per slot. The message
 * arrives through on_message with sender "<actor>.slot". Returns NULL if the actor does not
 * exist in this process. pz_mailslot_send blocks while the mailbox is full (the owning thread is
 * not a kernel thread, so blocking it is allowed), consumes *out on success. */
typedef struct pz_mailslot pz_mailslot_t;
pz_mailslot_t *pz_mailslot_open(const char *actor_name);
int pz_mailslot_send(pz_mailslot_t *slot, pz_out_t **out);
void pz_mailslot_close(pz_mailslot_t **slot);

/* ---------------------------------------------------------------------------------------- */
/* Blocking clients                                                                          */

/* A request/reply handle for a thread that is not an actor: SQL session workers, benchmarks,
 * the CLI. Blocking is allowed there (DESIGN.md rule 3). endpoint NULL: in this process (the
 * kernel must be running here); else a node's ZeroMQ endpoint ("tcp://127.0.0.1:26357"), which
 * needs no kernel in the caller's process. Use one client from one thread at a time. */
typedef struct pz_client pz_client_t;
pz_client_t *pz_client_new(const char *endpoint);
/* Sends *req to actor `to` and waits for the reply. Consumes *req on success. *reply is set on
 * success (free it with pz_msg_free); it may be an error reply (pz_msg_error). PZ_ETIMEDOUT
 * after timeout_ms (0 = default) — a late reply is discarded. */
int pz_client_call(pz_client_t *c, const char *to, pz_out_t **req, uint32_t timeout_ms,
                   pz_msg_t **reply);
/* Destroy every in-process client before the kernel stops: stopping waits for their sockets. */
void pz_client_destroy(pz_client_t **c);

/* Split-phase calls, for one thread that multiplexes many callers' requests on one in-process
 * client (the SQL session workers): pz_client_send sends and returns the request's correlation
 * id, never blocking (a full mailbox is PZ_EBUSY: the caller backs off and retries, and the
 * other callers it serves go on); replies come back in any order and are taken, without
 * blocking, with pz_client_take — the caller matches them by pz_msg_corr and drops the ones
 * nobody waits for any more.
 *   pz_client_take(c, false, &m): only when the inbox's doorbell counts a reply not yet taken
 *     (no syscall otherwise); PZ_ENOTFOUND when none.
 *   pz_client_take(c, true, &m): really receives; PZ_ENOTFOUND means the inbox is empty and
 *     pz_client_fd will become readable when the next reply arrives — do this before sleeping
 *     in poll/epoll on that descriptor (it is edge-like: ZeroMQ's ZMQ_FD).
 *   pz_client_spin(c): with calls outstanding, spins for up to node/spin_us for the doorbell
 *     (a blocking call's rules, less the ones about the waiter's recent rhythm); true when a
 *     reply can be taken. */
int pz_client_send(pz_client_t *c, const char *to, pz_out_t **req, uint32_t timeout_ms,
                   uint64_t *corr);
int pz_client_take(pz_client_t *c, bool probe, pz_msg_t **m);
bool pz_client_spin(pz_client_t *c);
int pz_client_fd(pz_client_t *c);

/* ---------------------------------------------------------------------------------------- */
/* Timers, time, randomness                                                                  */

/* Arms a one-shot timer: on_timer(self, state, timer_id) after delay_ms. Returns a handle for
 * pz_timer_cancel (always > 0) or a negative code (PZ_ELIMIT when PZ_TIMERS_MAX are armed). */
int64_t pz_timer_arm(pz_actor_t *self, uint32_t delay_ms, uint64_t timer_id);
/* Cancels a timer that has not fired; a no-op for one that has. */
void pz_timer_cancel(pz_actor_t *self, int64_t handle);

/* Monotonic milliseconds (CLOCK_MONOTONIC). A simulation clock comes with the deterministic
 * simulation harness; the layers' logic takes time only from the kernel (this and the HLC), which
 * keeps that possible (storage's commit thread reads the clock itself, for latency metrics). */
uint64_t pz_now_ms(pz_actor_t *self);

/* A pseudo-random number from the actor's own generator, seeded from the config's seed and the
 * actor's name so a simulation replays exactly. */
uint64_t pz_rand_u64(pz_actor_t *self);

/* The process-wide hybrid logical clock. */
pz_hlc_t pz_hlc_now(void);
/* Moves the clock forward past a timestamp seen in a message. Returns PZ_EINVAL (and does not
 * move) when ts is further ahead of the physical clock than the configured max offset. */
int pz_hlc_update(pz_hlc_t ts);

/* ---------------------------------------------------------------------------------------- */
/* Identity and config                                                                       */

/* The actor's name ("repl"). Static for the actor's life. */
const char *pz_actor_name(const pz_actor_t *self);
/* The node's store directory (--store / node.store), or NULL if none is configured. */
const char *pz_actor_store_dir(const pz_actor_t *self);
/* Directory the kernel loads modules and plugins from. */
const char *pz_module_dir(void);

/* Reads a key of the actor's config section ("engine", "latch/max"). Returns the value, or dflt
 * if absent. The string lives as long as the config (the hook call that received it). */
const char *pz_cfg_str(const pz_cfg_t *cfg, const char *path, const char *dflt);
/* Integer and boolean forms. On a value that does not parse, returns PZ_ECONFIG after logging
 * the key and the value. */
int pz_cfg_int(const pz_cfg_t *cfg, const char *path, int64_t dflt, int64_t *out);
int pz_cfg_bool(const pz_cfg_t *cfg, const char *path, bool dflt, bool *out);

/* ---------------------------------------------------------------------------------------- */
/* Plugins                                                                                   */

/* Loads a plugin shared object `<module_dir>/<file>` and returns the descriptor its `symbol`
 * function returns, after checking the common header (abi_major == major, abi_minor <= minor,
 * struct_size >= min_size, build_sig, non-empty name). The header layout is the one
 * pz_engine_desc_t and pz_module_desc_t share. Logs the exact reason on refusal and returns
 * NULL. The object stays loaded for the life of the process. */
const void *pz_plugin_load(const char *file, const char *symbol, uint32_t major, uint32_t minor,
                           uint32_t min_size);

/* ---------------------------------------------------------------------------------------- */
/* Logging                                                                                   */

enum pz_log_level { PZ_LOG_DEBUG = 0, PZ_LOG_INFO = 1, PZ_LOG_WARN = 2, PZ_LOG_ERROR = 3 };

/* Logs one line: time, level, module/actor (self may be NULL for the kernel), message.
 * Thread-safe. */
void pz_log(const pz_actor_t *self, int level, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void pz_log_set_level(int level);
int pz_log_get_level(void);

/* ---------------------------------------------------------------------------------------- */
/* Metrics                                                                                   */

typedef struct pz_metric pz_metric_t;

/* Registers (or finds) a metric by name, e.g. "storage_commits_total". Never NULL: past
 * PZ_METRICS_MAX a shared overflow metric is returned. Handles live for the process. */
pz_metric_t *pz_metric_counter(const char *name, const char *help);
pz_metric_t *pz_metric_gauge(const char *name, const char *help);
/* A latency histogram in microseconds (log2 buckets). */
pz_metric_t *pz_metric_histogram(const char *name, const char *help);

void pz_metric_add(pz_metric_t *m, uint64_t n);      /* counters */
void pz_metric_set(pz_metric_t *m, int64_t value);   /* gauges */
void pz_metric_observe(pz_metric_t *m, uint64_t us); /* histograms */
uint64_t pz_metric_value(const pz_metric_t *m);      /* counter/gauge value, histogram count */
/* The q-quantile (0..1) of a histogram, in microseconds (bucket upper bound). */
uint64_t pz_metric_quantile(const pz_metric_t *m, double q);
/* Writes every metric in Prometheus text format into buf. Returns the length needed. */
size_t pz_metrics_render(char *buf, size_t cap);

#ifdef __cplusplus
}
#endif
#endif
