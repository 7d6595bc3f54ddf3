/* cli.h — the phantomzero command line: subcommands shared between main.c and cli_*.c. */
#ifndef PZ_KERNEL_CLI_H
#define PZ_KERNEL_CLI_H

#include <stdbool.h>

#define PZ_EXIT_OK 0
#define PZ_EXIT_NOTFOUND 1 /* kv get of an absent key, a failed condition */
#define PZ_EXIT_ERROR 2
#define PZ_EXIT_USAGE 64

/* Returns the value of "--name=value" or "--name value" at argv[*i] (advancing *i past a
 * separate value), NULL if argv[*i] is not that flag. */
const char *pz__flag(int argc, char **argv, int *i, const char *name);
/* True if argv[i] is exactly "--name". */
bool pz__flag_bool(char **argv, int i, const char *name);

int pz__cli_start(int argc, char **argv, bool single_node);
int pz__cli_kv(int argc, char **argv);

#endif
