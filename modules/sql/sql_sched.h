/*
 * sql_sched.h — SQL sessions as tasks on a few worker threads (see sql_sched.c).
 *
 * A session is straight-line blocking code (read a message, run it, wait for KV replies, write
 * the answer). Each runs as a task with its own stack; a task that would block parks instead,
 * and its worker runs another one. The calls below are the only places a session waits; called
 * on a plain thread (the statistics thread, unit tests) they block that thread as before.
 */
#ifndef PZ_SQL_SCHED_H
#define PZ_SQL_SCHED_H

#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "phantomzero/kernel.h"

typedef struct pz_sched pz_sched_t;
typedef void (*pz_task_fn)(void *arg);

/* Starts `workers` worker threads (1..PZ_SCHED_WORKERS_MAX); tasks get stack_bytes of stack.
 * With the kernel running in this process, each worker has an in-process KV client for
 * pz_task_call (without it, pz_task_call is PZ_EUNAVAILABLE). */
int pz_sched_start(int workers, size_t stack_bytes, pz_sched_t **out);
/* Runs fn(arg) as a task on the worker with the fewest tasks. `fd` is the socket the task waits
 * on (watched for as long as the task lives; -1: none). done(arg) runs on the worker once the
 * task has ended and the worker has let go of fd — only then may the caller close fd. */
int pz_sched_spawn(pz_sched_t *s, pz_task_fn fn, void *arg, int fd, pz_task_fn done);
/* Tasks alive on all workers. */
int pz_sched_tasks(pz_sched_t *s);
/* Joins the workers once no task is left (the caller has made every task end); NULLs *s. */
void pz_sched_stop(pz_sched_t **s);

/* Whether the caller is a task (false on any other thread). */
bool pz_task_in(void);
/* Waits until fd is ready for `events` (POLLIN/POLLOUT) or timeout_ms passes (< 0: no bound).
 * In a task fd must be the socket given to pz_sched_spawn (else -1, EINVAL). 1 ready (or an
 * error or hang-up the next syscall reports), 0 timed out, -1 poll failed. */
int pz_task_wait_fd(int fd, short events, int timeout_ms);
/* Sleeps for `us` microseconds. */
void pz_task_sleep_us(uint32_t us);
/* pz_client_call for a task, over its worker's client. Only in a task. */
int pz_task_call(const char *to, pz_out_t **req, uint32_t timeout_ms, pz_msg_t **reply);
/* Gives the other tasks of the worker a turn when this one has run for longer than a slice
 * without waiting (a long scan, sort or join calls it every few thousand rows). */
void pz_task_check_yield(void);
/* pthread_mutex_lock that parks a task instead of its worker while the mutex is held: for
 * mutexes held across a KV call (another task of the same worker may be the holder). */
void pz_task_lock(pthread_mutex_t *mu);

/* For a long computation that cannot yield (libpg_query parsing a huge statement, an in-memory
 * sort of many rows): pz_task_detach moves the calling task to a helper thread until
 * pz_task_attach, so the other tasks of its worker keep running. Meanwhile its waits block the
 * helper (a KV call attaches first). Both are no-ops outside a task; detach is best effort.
 * The thread changes under the caller: a function that calls them must not use a thread-local
 * (errno, a _Thread_local) both before and after the call — the compiler may keep its address. */
void pz_task_detach(void);
void pz_task_attach(void);

/* Per-task (on plain threads: per-thread) pointers, for state that must follow one session
 * through its statement rather than the thread it happens to run on. */
enum { PZ_TASK_LOCAL_VT_SNAP, PZ_TASK_LOCAL_VT_CURRENT, PZ_TASK_LOCAL_VT_PATH, PZ_TASK_LOCALS_MAX };
void *pz_task_local(int key);
/* Sets the pointer; dtor(v) runs when the task (or the thread) ends or the pointer is replaced. */
void pz_task_local_set(int key, void *v, void (*dtor)(void *));

#endif
