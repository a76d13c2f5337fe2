/* Data sets by name for the tool: the Debian Fashion-MNIST package, an
   MNIST-style folder, a CSV file, or a built-in tiny set. */
#include "cli.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define FASHION_DIR "/usr/share/datasets/fashion-mnist"

/* DIR/<stem>-ubyte(.gz), or the original MNIST spelling with a dot. */
static int find_idx(const char *dir, const char *stem, char *out, size_t cap)
{
    static const char *forms[] = {"%s/%s-ubyte", "%s/%s-ubyte.gz"};
    for (int dot = 0; dot < 2; dot++)
        for (int f = 0; f < 2; f++) {
            char s[64];
            snprintf(s, sizeof s, "%s", stem);
            if (dot) {
                char *dash = strrchr(s, '-');
                if (dash)
                    *dash = '.';
            }
            snprintf(out, cap, forms[f], dir, s);
            if (access(out, R_OK) == 0)
                return 1;
        }
    snprintf(out, cap, "%s/%s-ubyte.gz", dir, stem);
    return 0;
}

static int load_idx_dir(const char *cmd, const char *dir, int part, myelin_data *out)
{
    char img[4096], lab[4096];
    const char *pre = part ? "t10k" : "train";
    char si[32], sl[32];
    snprintf(si, sizeof si, "%s-images-idx3", pre);
    snprintf(sl, sizeof sl, "%s-labels-idx1", pre);
    if (!find_idx(dir, si, img, sizeof img))
        return cli_error(cmd, "%s: not found (an MNIST-style folder holds train-images-idx3-ubyte[.gz], "
                         "train-labels-idx1-ubyte[.gz], t10k-...)", img);
    if (!find_idx(dir, sl, lab, sizeof lab))
        return cli_error(cmd, "%s: not found", lab);
    if (myelin_read_idx(img, lab, out))
        return cli_error(cmd, "%s", myelin_last_error());
    return 0;
}

static int parse_label(const char *cmd, const char *label, myelin_csv_opts *co)
{
    if (!label || !strcmp(label, "last")) {
        co->label_index = -1;
    } else if (!strcmp(label, "none")) {
        co->label_index = -2;
    } else {
        char *end;
        long v = strtol(label, &end, 10);
        if (*label && !*end) {
            if (v < 0)
                return cli_error(cmd, "--label: column index %ld < 0", v);
            co->label_index = v;
        } else {
            co->label_name = label;
        }
    }
    return 0;
}

int cli_load_data(const char *cmd, const char *spec, int part, const cli_data_opts *o, myelin_data *out,
                  int *found)
{
    memset(out, 0, sizeof *out);
    *found = 1;
    int rc;
    if (!spec)
        return cli_error(cmd, "--data is required (fashion-mnist, mnist:DIR, csv:FILE, xor or table3)");
    if (!strcmp(spec, "fashion-mnist")) {
        if (access(FASHION_DIR, R_OK) != 0)
            return cli_error(cmd, "%s not found: install the Debian package dataset-fashion-mnist", FASHION_DIR);
        rc = load_idx_dir(cmd, FASHION_DIR, part, out);
    } else if (!strncmp(spec, "mnist:", 6)) {
        rc = load_idx_dir(cmd, spec + 6, part, out);
    } else if (!strncmp(spec, "csv:", 4)) {
        if (part == 1) {
            *found = 0;
            return 0;
        }
        myelin_csv_opts co;
        myelin_csv_opts_default(&co);
        if (parse_label(cmd, o->label, &co))
            return 1;
        if (o->header && strcmp(o->header, "auto")) {
            if (!strcmp(o->header, "yes"))
                co.header = 1;
            else if (!strcmp(o->header, "no"))
                co.header = 0;
            else
                return cli_error(cmd, "--header: \"%s\" (auto, yes or no)", o->header);
        }
        rc = myelin_read_csv(spec + 4, &co, out) ? cli_error(cmd, "%s", myelin_last_error()) : 0;
    } else if (!strcmp(spec, "xor") || !strcmp(spec, "table3")) {
        rc = myelin_data_builtin(spec, out) ? cli_error(cmd, "%s", myelin_last_error()) : 0;
    } else {
        return cli_error(cmd, "--data: unknown set \"%s\" (fashion-mnist, mnist:DIR, csv:FILE, xor, table3)", spec);
    }
    if (rc)
        return rc;
    if (o->binary && myelin_data_binary(out, o->binary)) {
        myelin_data_free(out);
        return cli_error(cmd, "--binary: %s", myelin_last_error());
    }
    if (o->limit && o->limit < out->rows)
        out->rows = o->limit; /* the buffers stay; only the first rows are used */
    return 0;
}

int cli_open_model(const char *cmd, const char *model, const cli_machine *m, myelin_net **net)
{
    *net = NULL;
    if (!model)
        return cli_error(cmd, "--model is required"), 2;
    if (cli_apply_machine(cmd, m))
        return 1;
    if (myelin_net_load(model, net))
        return cli_error(cmd, "%s", myelin_last_error());
    return 0;
}

int cli_load_eval_part(const char *cmd, const char *spec, int train_part, const cli_data_opts *o, myelin_data *out)
{
    int found;
    if (cli_load_data(cmd, spec, train_part ? 0 : 1, o, out, &found))
        return 1;
    return !found && cli_load_data(cmd, spec, 0, o, out, &found);
}

int cli_check_fit(const char *cmd, const myelin_net *net, const myelin_data *d, const char *what)
{
    size_t in = myelin_net_inputs(net), outs = myelin_net_outputs(net);
    if (in != d->cols)
        return cli_error(cmd, "the network takes %zu inputs, the %s data has %zu columns", in, what, d->cols);
    if (d->labels && outs == 1 && d->n_classes > 2)
        return cli_error(cmd, "the network has 1 output, the %s data %zu classes (--binary odd, or more outputs)",
                         what, d->n_classes);
    if (d->labels && outs > 1 && d->n_classes > outs)
        return cli_error(cmd, "the %s data has %zu classes, the network %zu outputs", what, d->n_classes, outs);
    return 0;
}
