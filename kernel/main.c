/*
 * main.c — the phantomzero binary: subcommand dispatch.
 *
 *   phantomzero version
 *   phantomzero start-single-node --store=DIR [...]   all modules in one process, LMDB in DIR
 *   phantomzero start --config=FILE [...]              the topology a config file describes
 *   phantomzero kv ping|put|get|cput|del|delrange|scan ...   debug KV client over ZeroMQ tcp
 */
#include <czmq.h>
#include <malloc.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "internal.h"

const char *pz__flag(int argc, char **argv, int *i, const char *name)
{
    const char *a = argv[*i];
    size_t n = strlen(name);
    if (strncmp(a, "--", 2) != 0 || strncmp(a + 2, name, n) != 0) {
        return NULL;
    }
    if (a[2 + n] == '=') {
        return a + 3 + n;
    }
    if (a[2 + n] == '\0' && *i + 1 < argc) {
        return argv[++*i];
    }
    return NULL;
}

bool pz__flag_bool(char **argv, int i, const char *name)
{
    return strncmp(argv[i], "--", 2) == 0 && strcmp(argv[i] + 2, name) == 0;
}

static void s_usage(FILE *f)
{
    fprintf(f,
            "usage: phantomzero <command> [flags]\n"
            "\n"
            "  version                       print the version\n"
            "  start-single-node             run one node with every module in this process\n"
            "      --store=DIR               data directory (default ./pz-data)\n"
            "      --listen-addr=HOST:PORT   ZeroMQ endpoint for clients and peers "
            "(default 127.0.0.1:26357)\n"
            "      --sql-addr=HOST:PORT      PostgreSQL wire protocol (default 127.0.0.1:26257)\n"
            "      --threads=N --log-level=debug|info|warn|error --module-dir=DIR\n"
            "      --range-max-bytes=N       split a range that grows past N bytes (512 MiB)\n"
            "      --gc-ttl=DURATION         keep MVCC history this long (default 4h; 90s, 1h30m)\n"
            "  start --config=FILE           run the modules a topology file names\n"
            "      --store=DIR --listen-addr=HOST:PORT --sql-addr=HOST:PORT --gc-ttl=DURATION\n"
            "      --set path=value (repeatable)\n"
            "  kv <op> [--host=HOST:PORT]    debug KV client (default host 127.0.0.1:26357)\n"
            "      ping | put KEY VALUE [--no-sync] | get KEY | del KEY\n"
            "      cput KEY VALUE (--expect=OLD | --expect-absent) | delrange START END\n"
            "      scan START END [--limit=N] [--reverse] | split KEY\n");
}

/* Arenas (codec.h) take 1 MiB chunks; glibc serves blocks that size with mmap and hands them back
 * on free, so every statement that allocates them faulted fresh zero pages in again (profiled:
 * a third of a COPY's cycles in page faults). Keeping such blocks on the heap and not trimming it
 * lets freed chunks be reused. The memory stays bounded by what the process used at its peak. */
#define S_MMAP_THRESHOLD_BYTES (64 * 1024 * 1024)
#define S_TRIM_THRESHOLD_BYTES (256 * 1024 * 1024)

int main(int argc, char **argv)
{
    mallopt(M_MMAP_THRESHOLD, S_MMAP_THRESHOLD_BYTES);
    mallopt(M_TRIM_THRESHOLD, S_TRIM_THRESHOLD_BYTES);
    zsys_handler_set(NULL); /* the kernel handles signals itself */
    if (argc < 2) {
        s_usage(stderr);
        return PZ_EXIT_USAGE;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("phantomzero %s\n", PZ_VERSION);
        return PZ_EXIT_OK;
    }
    if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0) {
        s_usage(stdout);
        return PZ_EXIT_OK;
    }
    if (strcmp(cmd, "start-single-node") == 0) {
        return pz__cli_start(argc - 1, argv + 1, true);
    }
    if (strcmp(cmd, "start") == 0) {
        return pz__cli_start(argc - 1, argv + 1, false);
    }
    if (strcmp(cmd, "kv") == 0) {
        return pz__cli_kv(argc - 1, argv + 1);
    }
    fprintf(stderr, "phantomzero: unknown command \"%s\"\n", cmd);
    s_usage(stderr);
    return PZ_EXIT_USAGE;
}
