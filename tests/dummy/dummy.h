/*
 * dummy.h — the protocol of the kernel tests' dummy "echo" module (dummy.c), shared by the module
 * and the tests that drive it.
 *
 * The tests cannot reach into a loaded module (it exports one symbol), so everything they want
 * to know about what an echo actor saw, they ask it by message. Types are private (>= 1000): the
 * kernel passes those to the module even though its type table does not know them.
 *
 *   DUMMY_T_ECHO  request, any body. Replied to with the same type and body. With `forward`, the
 *                 request is passed on with pz_request_forward and the reply (or the kernel's
 *                 timeout error) is passed back with pz_reply_forward. With `drop`, never
 *                 answered. With `reply_delay_ms`, answered from a timer after that delay.
 *   DUMMY_T_CMD   request, body [name: str, target: str, n: uint]; the reply body is an array
 *                 whose shape depends on the command (below).
 *   DUMMY_T_SEQ   one-way, body [seq: uint]. Recorded per sender: count, last seq, and how many
 *                 arrived out of order (seq != last + 1).
 *   DUMMY_T_HOLD  one-way: the receiver's hook sleeps while the module-wide hold flag is set
 *                 (bounded by DUMMY_HOLD_MS_MAX), blocking its kernel thread.
 *
 * Commands (DUMMY_T_CMD):
 *   "report"   target = a sender address -> [count, violations, last_seq, [fired timer ids...],
 *              timeouts, replies, bad_ctx] where timeouts counts PZ_ETIMEDOUT replies seen,
 *              replies every reply seen, bad_ctx replies whose pz_reply_ctx was not ours.
 *   "send_seq" sends n DUMMY_T_SEQ to target, numbered on from this actor's counter
 *              -> [sent, rc of the first failed pz_send or 0].
 *   "flood"    sets the hold flag, sends DUMMY_T_HOLD to target, then DUMMY_T_SEQ until pz_send
 *              fails or n are sent, clears the flag -> [sent, rc of the failed send or 0].
 *
 * Config keys of an echo actor:
 *   forward = <addr>, forward_timeout_ms = N (default 5000), drop = true, reply_delay_ms = N,
 *   timer_ms = "d0,d1,..." (arms timer i after d_i ms in init; firing order is recorded),
 *   timer_cancel = i (cancels timer i right after arming), init_fail = true (init sets its state,
 *   then fails with PZ_ECONFIG).
 */
#ifndef PZ_TEST_DUMMY_H
#define PZ_TEST_DUMMY_H

enum {
    DUMMY_T_ECHO = 1000,
    DUMMY_T_CMD = 1001,
    DUMMY_T_SEQ = 1002,
    DUMMY_T_HOLD = 1003,
};

/* A held hook gives up after this long even if nobody clears the flag: a failing test must not
 * hang the kernel thread forever. */
#define DUMMY_HOLD_MS_MAX 8000
/* Senders an echo actor records separately. */
#define DUMMY_SENDERS_MAX 16
/* Timers an echo actor arms from timer_ms. */
#define DUMMY_TIMERS_MAX 32
/* Requests an echo actor keeps while it waits (forwarding, delayed replies). */
#define DUMMY_KEPT_MAX 1024

#endif
