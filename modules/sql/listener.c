/*
 * listener.c — the pgwire server's accept loop; sessions run as tasks on the session workers.
 *
 * The listener is a plain pthread owned by the sql module, not a kernel thread: accept blocks,
 * which DESIGN.md rule 3 allows only in SQL session workers, never on a kernel thread. Each
 * session is a task on the session workers (sql_sched.c): straight-line protocol code with its
 * own stack, parked while it waits. The slot table bounds them (max_connections plus
 * PZ_SQL_REJECT_SLOTS_MAX sessions that only finish the handshake to answer 53300, as PostgreSQL
 * does). Past all slots a connection gets the 53300 error at once and is closed.
 *
 * Ownership: a session's socket is closed by the listener once its task has ended and its worker
 * has let go of the descriptor (`done`), never by the session, so a descriptor number cannot be
 * reused while a worker might still watch it. Stopping: a byte on a self-pipe wakes the listener;
 * it stops accepting and waits for the sessions, each of which notices the stop flag within
 * PZ_SQL_POLL_MS and says goodbye (57P01); then the workers are joined.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "listener.h"
#include "pgwire.h"
#include "session.h"
#include "sql_sched.h"

typedef struct {
    bool used;
    atomic_bool done;   /* set by the worker once the session's task has ended */
    atomic_bool cancel; /* a CancelRequest for this session arrived */
    pz_sql_session_cfg_t cfg;
} s_slot_t;

struct pz_sql_server {
    pz_sql_server_cfg_t cfg;
    int listen_fd;
    int wake[2]; /* self-pipe: a byte on wake[1] ends the accept loop */
    uint16_t port;
    atomic_bool stop;
    pthread_t thread;
    pz_sched_t *sched; /* the session workers */
    uint32_t next_pid;
    int64_t n_open; /* sessions with a thread: the pz_sql_sessions gauge */
    uint32_t n_slots;
    s_slot_t *slots;
    pz_pgw_out_t refuse; /* the 53300 answer past every slot */
    pz_metric_t *m_sessions;
    pz_metric_t *m_accepted;
    pz_metric_t *m_refused;
};

/* A CancelRequest, from another connection's session: the session with this process id
 * and secret (BackendKeyData) stops its running statement with 57014. Process ids are never
 * reused, so a slot read while the listener refills it cannot match a wrong session; the
 * secret keeps one client from cancelling another's statements. */
static void s_cancel(void *server, uint32_t pid, uint32_t secret)
{
    pz_sql_server_t *srv = server;
    for (uint32_t i = 0; i < srv->n_slots; i++) {
        s_slot_t *slot = &srv->slots[i];
        if (slot->cfg.pid == pid && slot->cfg.secret == secret && !atomic_load(&slot->done)) {
            atomic_store(&slot->cancel, true);
            return;
        }
    }
}

/* Splits "host:port" or "[v6]:port". 0 or PZ_EINVAL. */
static int s_split(const char *listen, char *host, size_t host_cap, char *port, size_t port_cap)
{
    const char *colon = strrchr(listen, ':');
    if (colon == NULL || colon[1] == '\0' || strlen(colon + 1) >= port_cap) {
        return PZ_EINVAL;
    }
    const char *h = listen;
    size_t hl = (size_t)(colon - listen);
    if (hl >= 2 && h[0] == '[' && h[hl - 1] == ']') {
        h++;
        hl -= 2;
    }
    if (hl == 0 || hl >= host_cap) {
        return PZ_EINVAL;
    }
    memcpy(host, h, hl);
    host[hl] = '\0';
    snprintf(port, port_cap, "%s", colon + 1);
    return 0;
}

/* Binds and listens on the first address `listen` resolves to. */
static int s_bind(pz_sql_server_t *srv)
{
    char host[256], port[16];
    if (s_split(srv->cfg.listen, host, sizeof host, port, sizeof port) != 0) {
        pz_log(srv->cfg.log, PZ_LOG_ERROR, "listen_sql: %s is not host:port", srv->cfg.listen);
        return PZ_EINVAL;
    }
    struct addrinfo hints = {.ai_family = AF_UNSPEC,
                             .ai_socktype = SOCK_STREAM,
                             .ai_flags = AI_PASSIVE | AI_NUMERICSERV},
                    *ai = NULL;
    int gai = getaddrinfo(host, port, &hints, &ai);
    if (gai != 0) {
        pz_log(srv->cfg.log, PZ_LOG_ERROR, "listen_sql: cannot resolve %s: %s", srv->cfg.listen,
               gai_strerror(gai));
        return PZ_EINVAL;
    }
    int fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    int one = 1;
    int rc = fd < 0 ? -1 : setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (rc == 0) {
        rc = bind(fd, ai->ai_addr, ai->ai_addrlen);
    }
    if (rc == 0) {
        rc = listen(fd, PZ_SQL_BACKLOG);
    }
    int err = errno;
    freeaddrinfo(ai);
    if (rc != 0) {
        pz_log(srv->cfg.log, PZ_LOG_ERROR, "cannot listen for SQL clients on %s: %s",
               srv->cfg.listen, strerror(err));
        if (fd >= 0) {
            close(fd);
        }
        return err == EADDRINUSE || err == EACCES || err == EADDRNOTAVAIL ? PZ_EUNAVAILABLE
                                                                          : PZ_EIO;
    }
    struct sockaddr_storage sa;
    socklen_t sl = sizeof sa;
    if (getsockname(fd, (struct sockaddr *)&sa, &sl) == 0) {
        srv->port = ntohs(sa.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&sa)->sin6_port
                                                   : ((struct sockaddr_in *)&sa)->sin_port);
    }
    srv->listen_fd = fd;
    return 0;
}

static void s_session_main(void *arg)
{
    s_slot_t *slot = arg;
    pz_sql_session_run(&slot->cfg);
}

static void s_session_done(void *arg)
{
    s_slot_t *slot = arg;
    atomic_store(&slot->done, true);
}

/* Frees the slots of finished sessions; with `all`, waits for every session to finish. */
static void s_reap(pz_sql_server_t *srv, bool all)
{
    for (uint32_t i = 0; i < srv->n_slots; i++) {
        s_slot_t *slot = &srv->slots[i];
        while (all && slot->used && !atomic_load(&slot->done)) {
            usleep(1000); /* each notices the stop flag within PZ_SQL_POLL_MS */
        }
        if (!slot->used || !atomic_load(&slot->done)) {
            continue;
        }
        close(slot->cfg.fd);
        slot->used = false;
        pz_metric_set(srv->m_sessions, --srv->n_open);
    }
}

/* A free slot: an admitted one while fewer than max_connections are, else a reject slot. */
static s_slot_t *s_free_slot(pz_sql_server_t *srv, bool *over_limit)
{
    uint32_t admitted = 0;
    s_slot_t *free_slot = NULL;
    for (uint32_t i = 0; i < srv->n_slots; i++) {
        s_slot_t *slot = &srv->slots[i];
        if (slot->used && !slot->cfg.over_limit) {
            admitted++;
        } else if (!slot->used && free_slot == NULL) {
            free_slot = slot;
        }
    }
    *over_limit = admitted >= srv->cfg.max_connections;
    return free_slot;
}

/* Past every slot: answer 53300 without a handshake (best effort, never blocking) and close. */
static void s_refuse(pz_sql_server_t *srv, int fd)
{
    pz_pgw_error_t e = {
        .severity = "FATAL", .sqlstate = "53300", .message = "sorry, too many clients already"};
    srv->refuse.len = 0;
    if (pz_pgw_put_error(&srv->refuse, &e)) {
        ssize_t n = send(fd, srv->refuse.buf, srv->refuse.len, MSG_NOSIGNAL | MSG_DONTWAIT);
        (void)n;
    }
    close(fd);
    pz_metric_add(srv->m_refused, 1);
}

static void s_accept_one(pz_sql_server_t *srv)
{
    int fd = accept4(srv->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
    if (fd < 0) {
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
            pz_log(srv->cfg.log, PZ_LOG_WARN, "accept: %s", strerror(errno));
        }
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    s_reap(srv, false); /* sessions that ended since the last poll no longer count */
    bool over_limit = false;
    s_slot_t *slot = s_free_slot(srv, &over_limit);
    if (slot == NULL) {
        s_refuse(srv, fd);
        return;
    }
    uint32_t secret = 0;
    if (getrandom(&secret, sizeof secret, GRND_NONBLOCK) != sizeof secret) {
        secret = (srv->next_pid + 1) * 2654435761u ^ (uint32_t)(uintptr_t)slot;
    }
    atomic_store(&slot->cancel, false);
    slot->cfg = (pz_sql_session_cfg_t){.fd = fd,
                                       .pid = ++srv->next_pid,
                                       .secret = secret,
                                       .idle_timeout_ms = srv->cfg.idle_timeout_ms,
                                       .over_limit = over_limit,
                                       .stop = &srv->stop,
                                       .cancel = &slot->cancel,
                                       .cancel_fn = s_cancel,
                                       .server = srv,
                                       .log = srv->cfg.log,
                                       .engine = srv->cfg.engine,
                                       .auth = srv->cfg.auth};
    atomic_store(&slot->done, false);
    int rc = pz_sched_spawn(srv->sched, s_session_main, slot, fd, s_session_done);
    if (rc != 0) {
        pz_log(srv->cfg.log, PZ_LOG_WARN, "cannot start a session: %s", pz_strerror(rc));
        s_refuse(srv, fd);
        return;
    }
    slot->used = true;
    pz_metric_set(srv->m_sessions, ++srv->n_open);
    pz_metric_add(srv->m_accepted, 1);
}

static void *s_listener_main(void *arg)
{
    pz_sql_server_t *srv = arg;
    while (!atomic_load(&srv->stop)) {
        s_reap(srv, false);
        struct pollfd p[2] = {{.fd = srv->listen_fd, .events = POLLIN},
                              {.fd = srv->wake[0], .events = POLLIN}};
        int n = poll(p, 2, PZ_SQL_POLL_MS);
        if (n > 0 && (p[0].revents & POLLIN)) {
            s_accept_one(srv);
        }
    }
    close(srv->listen_fd);
    srv->listen_fd = -1;
    s_reap(srv, true);
    return NULL;
}

static void s_free(pz_sql_server_t *srv)
{
    if (srv->listen_fd >= 0) {
        close(srv->listen_fd);
    }
    for (int i = 0; i < 2; i++) {
        if (srv->wake[i] >= 0) {
            close(srv->wake[i]);
        }
    }
    pz_sched_stop(&srv->sched);
    free(srv->slots);
    free(srv);
}

int pz_sql_server_start(const pz_sql_server_cfg_t *cfg, pz_sql_server_t **out)
{
    assert(cfg != NULL && cfg->listen != NULL && out != NULL);
    assert(cfg->max_connections > 0 && cfg->max_connections <= PZ_SQL_CONNECTIONS_MAX);
    pz_sql_server_t *srv = calloc(1, sizeof *srv);
    if (srv == NULL) {
        return PZ_ENOMEM;
    }
    srv->cfg = *cfg;
    srv->listen_fd = srv->wake[0] = srv->wake[1] = -1;
    srv->n_slots = cfg->max_connections + PZ_SQL_REJECT_SLOTS_MAX;
    srv->slots = calloc(srv->n_slots, sizeof *srv->slots);
    if (srv->slots == NULL) {
        s_free(srv);
        return PZ_ENOMEM;
    }
    int rc = s_bind(srv);
    if (rc == 0) {
        rc = pz_sched_start(cfg->workers, PZ_SQL_SESSION_STACK_BYTES, &srv->sched);
        if (rc != 0) {
            pz_log(cfg->log, PZ_LOG_ERROR, "cannot start the SQL session workers: %s",
                   pz_strerror(rc));
        }
    }
    if (rc == 0 && pipe2(srv->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
        rc = PZ_EIO;
    }
    srv->m_sessions = pz_metric_gauge("pz_sql_sessions", "SQL client connections open");
    srv->m_accepted = pz_metric_counter("pz_sql_connections_total", "SQL connections accepted");
    srv->m_refused = pz_metric_counter("pz_sql_connections_refused_total",
                                       "SQL connections refused past every session slot");
    if (rc == 0 && (rc = pthread_create(&srv->thread, NULL, s_listener_main, srv)) != 0) {
        pz_log(cfg->log, PZ_LOG_ERROR, "cannot start the SQL listener thread: %s", strerror(rc));
        rc = PZ_EIO;
    }
    if (rc != 0) {
        s_free(srv);
        return rc;
    }
    pz_log(cfg->log, PZ_LOG_INFO,
           "accepting SQL clients on %s (max_connections=%u, session_workers=%d)", cfg->listen,
           cfg->max_connections, cfg->workers);
    *out = srv;
    return 0;
}

uint16_t pz_sql_server_port(const pz_sql_server_t *srv)
{
    assert(srv != NULL);
    return srv->port;
}

void pz_sql_server_stop(pz_sql_server_t **psrv)
{
    if (psrv == NULL || *psrv == NULL) {
        return;
    }
    pz_sql_server_t *srv = *psrv;
    atomic_store(&srv->stop, true);
    ssize_t n = write(srv->wake[1], "x", 1);
    (void)n;
    pthread_join(srv->thread, NULL);
    s_free(srv);
    *psrv = NULL;
}
