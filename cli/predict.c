/* myelin predict: one line per input row - the class, or with --proba the
   class and the output values - to a file or stdout. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cmd_predict(int argc, char **argv)
{
    const char *cmd = "predict", *model = NULL, *data = NULL, *out = NULL;
    cli_machine m = {0, NULL, 0};
    cli_data_opts dopt = {NULL, "auto", NULL, 0};
    int proba = 0, train_part = 0;
    const cli_opt opts[] = {
        {"model", OPT_STR, &model, "FILE", "model written by myelin train --save"},
        {"data", OPT_STR, &data, "SET", "fashion-mnist | mnist:DIR | csv:FILE | xor | table3 (test part)"},
        {"train-part", OPT_FLAG, &train_part, NULL, "predict the set's training part instead"},
        {"out", OPT_STR, &out, "FILE", "write here instead of stdout"},
        {"proba", OPT_FLAG, &proba, NULL, "also write the output values (probabilities)"},
        {"label", OPT_STR, &dopt.label, "COL", "CSV label column to ignore: name, index, last or none "
                                                "(default: none when the file has exactly the model's inputs)"},
        {"header", OPT_STR, &dopt.header, "auto|yes|no", "CSV header line"},
        {"limit", OPT_SIZE, &dopt.limit, "N", "use the first N rows (0: all)"},
        {"threads", OPT_INT, &m.threads, "N", "threads (0: one per physical core)"},
        {"isa", OPT_STR, &m.isa, "NAME", "kernel path: auto scalar avx2 avx512 neon"},
        {NULL, 0, NULL, NULL, NULL},
    };
    int rc = cli_parse(cmd, "usage: myelin predict --model FILE --data SET [--out FILE] [--proba]", opts, argc, argv);
    if (rc)
        return rc == 1 ? 0 : rc;
    myelin_net *net;
    if ((rc = cli_open_model(cmd, model, &m, &net)))
        return rc;
    size_t in = myelin_net_inputs(net), outs = myelin_net_outputs(net);
    myelin_data d;
    int found;
    int user_label = dopt.label != NULL;
    if (!user_label && data && !strncmp(data, "csv:", 4))
        dopt.label = "none"; /* new data usually has no label column... */
    if (cli_load_eval_part(cmd, data, train_part, &dopt, &d)) {
        myelin_net_free(net);
        return 1;
    }
    if (!user_label && data && !strncmp(data, "csv:", 4) && d.cols == in + 1) {
        /* ...but a file shaped like the training data has one: skip it. */
        myelin_data_free(&d);
        dopt.label = "last";
        if (cli_load_data(cmd, data, 0, &dopt, &d, &found)) {
            myelin_net_free(net);
            return 1;
        }
    }
    rc = 1;
    FILE *f = stdout;
    float *p = NULL;
    int32_t *cls = NULL;
    if (d.cols != in) {
        cli_error(cmd, "the model takes %zu inputs, the data has %zu columns", in, d.cols);
        goto done;
    }
    p = malloc(d.rows * outs * sizeof *p);
    cls = malloc(d.rows * sizeof *cls);
    if (!p || !cls) {
        cli_error(cmd, "out of memory for %zu predictions", d.rows);
        goto done;
    }
    myelin_dataset v = myelin_data_view(&d);
    v.labels = NULL;
    if (myelin_predict_proba(net, &v, p, outs) || myelin_predict(net, &v, cls)) {
        cli_error(cmd, "%s", myelin_last_error());
        goto done;
    }
    if (out && !(f = fopen(out, "w"))) {
        f = stdout;
        cli_error(cmd, "--out %s: cannot write", out);
        goto done;
    }
    for (size_t r = 0; r < d.rows; r++) {
        fprintf(f, "%d", cls[r]);
        for (size_t j = 0; proba && j < outs; j++)
            fprintf(f, ",%.6g", p[r * outs + j]);
        fputc('\n', f);
    }
    rc = 0;
    if (f != stdout && fclose(f) != 0)
        rc = cli_error(cmd, "--out %s: write error", out);
    f = stdout;
done:
    if (f != stdout)
        fclose(f);
    free(p);
    free(cls);
    myelin_data_free(&d);
    myelin_net_free(net);
    return rc;
}
