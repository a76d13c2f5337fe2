/* myelin tune: measure the kernel variants and blocks on this machine and
   keep the result for later runs (the library loads it at start-up). */
#include "cli.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void progress(double done, const char *what, void *user)
{
    int tty = *(int *)user;
    if (done >= 1.0)
        return;
    fprintf(stderr, tty ? "\r  [%3.0f%%] %-60.60s" : "  [%3.0f%%] %s\n", 100.0 * done, what);
    fflush(stderr);
}

int cmd_tune(int argc, char **argv)
{
    cli_machine m = {0, NULL, 0};
    const char *out = NULL;
    long seconds = 60;
    int show = 0;
    const cli_opt opts[] = {
        {"seconds", OPT_INT, &seconds, "S", "time budget in seconds, 1..3600"},
        {"output", OPT_STR, &out, "FILE", "tuning file (default: $MYELIN_TUNING or ~/.cache/myelin/)"},
        {"show", OPT_FLAG, &show, NULL, "print the record in use and where it came from; measure nothing"},
        {"threads", OPT_INT, &m.threads, "N", "threads (0: one per physical core)"},
        {"isa", OPT_STR, &m.isa, "NAME", "kernel path to tune: auto, scalar, avx2, avx512, neon"},
        {NULL, 0, NULL, NULL, NULL},
    };
    int rc = cli_parse("tune", "usage: myelin tune [--seconds S] [--output FILE] [--show]", opts, argc, argv);
    if (rc)
        return rc == 1 ? 0 : rc;
    if (cli_apply_machine("tune", &m))
        return 1;
    char buf[8192];
    if (show) {
        if (myelin_tuning_info(buf, sizeof buf))
            return cli_error("tune", "%s", myelin_last_error());
        fputs(buf, stdout);
        return 0;
    }
    if (seconds < 1 || seconds > 3600)
        return cli_error("tune", "--seconds %ld is not in 1..3600", seconds);
    int tty = isatty(2);
    fprintf(stderr, "myelin tune: measuring the %s path for at most %ld s on %d thread(s)\n", myelin_isa(), seconds,
            myelin_num_threads());
    int st = myelin_tune(out, (double)seconds, progress, &tty);
    if (tty)
        fprintf(stderr, "\n");
    if (st)
        return cli_error("tune", "%s", myelin_last_error());
    if (myelin_tuning_info(buf, sizeof buf))
        return cli_error("tune", "%s", myelin_last_error());
    fputs(buf, stdout);
    return 0;
}
