/* myelin info: the library's own report of CPU, paths, threads and caches. */
#include "cli.h"

#include <stdio.h>

int cmd_info(int argc, char **argv)
{
    cli_machine m = {0, NULL, 0};
    const cli_opt opts[] = {
        {"threads", OPT_INT, &m.threads, "N", "threads (0: one per physical core)"},
        {"isa", OPT_STR, &m.isa, "NAME", "kernel path: auto, scalar, avx2, avx512, neon"},
        {NULL, 0, NULL, NULL, NULL},
    };
    int rc = cli_parse("info", "usage: myelin info [--threads N] [--isa NAME]", opts, argc, argv);
    if (rc)
        return rc == 1 ? 0 : rc;
    if (cli_apply_machine("info", &m))
        return 1;
    char buf[8192];
    if (myelin_info(buf, sizeof buf))
        return cli_error("info", "%s", myelin_last_error());
    fputs(buf, stdout);
    return 0;
}
