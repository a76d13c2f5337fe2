/* myelin eval: loss and accuracy of a saved model on a data set. */
#include "cli.h"

#include <stdio.h>
#include <time.h>

int cmd_eval(int argc, char **argv)
{
    const char *cmd = "eval", *model = NULL, *data = NULL;
    cli_machine m = {0, NULL, 0};
    cli_data_opts dopt = {NULL, "auto", NULL, 0};
    int json = 0, train_part = 0;
    const cli_opt opts[] = {
        {"model", OPT_STR, &model, "FILE", "model written by myelin train --save"},
        {"data", OPT_STR, &data, "SET", "fashion-mnist | mnist:DIR | csv:FILE | xor | table3 (test part)"},
        {"train-part", OPT_FLAG, &train_part, NULL, "evaluate on the set's training part instead"},
        {"label", OPT_STR, &dopt.label, "COL", "CSV label column: name, index or last (default last)"},
        {"header", OPT_STR, &dopt.header, "auto|yes|no", "CSV header line"},
        {"binary", OPT_STR, &dopt.binary, "RULE", "0/1 targets as in training: odd, even or a list"},
        {"limit", OPT_SIZE, &dopt.limit, "N", "use the first N rows (0: all)"},
        {"threads", OPT_INT, &m.threads, "N", "threads (0: one per physical core)"},
        {"isa", OPT_STR, &m.isa, "NAME", "kernel path: auto scalar avx2 avx512 neon"},
        {"json", OPT_FLAG, &json, NULL, "print one JSON object"},
        {NULL, 0, NULL, NULL, NULL},
    };
    int rc = cli_parse(cmd, "usage: myelin eval --model FILE --data SET [options]", opts, argc, argv);
    if (rc)
        return rc == 1 ? 0 : rc;
    myelin_net *net;
    if ((rc = cli_open_model(cmd, model, &m, &net)))
        return rc;
    myelin_data d;
    if (cli_load_eval_part(cmd, data, train_part, &dopt, &d)) { /* a CSV file has no test part: evaluated whole */
        myelin_net_free(net);
        return 1;
    }
    rc = 1;
    if (!d.labels) {
        cli_error(cmd, "the data has no labels to evaluate against");
    } else if (!cli_check_fit(cmd, net, &d, "evaluation")) {
        myelin_dataset v = myelin_data_view(&d);
        double loss, acc;
        struct timespec a, b;
        clock_gettime(CLOCK_MONOTONIC, &a);
        if (myelin_evaluate(net, &v, &loss, &acc)) {
            cli_error(cmd, "%s", myelin_last_error());
        } else {
            clock_gettime(CLOCK_MONOTONIC, &b);
            double s = (double)(b.tv_sec - a.tv_sec) + 1e-9 * (double)(b.tv_nsec - a.tv_nsec);
            if (json)
                printf("{\"loss\":%.6g,\"accuracy\":%.6g,\"samples\":%zu,\"seconds\":%.6g}\n", loss, acc, d.rows, s);
            else
                printf("test: loss %.4f  accuracy %.4f  (%zu samples, %.3f s)\n", loss, acc, d.rows, s);
            rc = 0;
        }
    }
    myelin_data_free(&d);
    myelin_net_free(net);
    return rc;
}
