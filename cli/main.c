/* myelin - train, evaluate and run fully-connected networks from the shell. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *what;
} commands[] = {
    {"info", cmd_info, "this CPU, the kernel paths and threads Myelin uses"},
    {"train", cmd_train, "train a network on a data set, optionally save it"},
    {"eval", cmd_eval, "accuracy and loss of a saved model on a data set"},
    {"predict", cmd_predict, "one prediction per input row of a data set"},
    {"tune", cmd_tune, "measure kernel variants and blocks here, keep the fastest"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: myelin COMMAND [options]   (myelin COMMAND --help for its options)\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-8s %s\n", commands[i].name, commands[i].what);
    fprintf(f, "\nData sets: --data fashion-mnist | mnist:DIR | csv:FILE | xor | table3\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("myelin %s\n", myelin_version());
        return 0;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(argv[1], commands[i].name))
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "myelin: unknown command \"%s\" (info, train, eval, predict, tune; myelin --help)\n", argv[1]);
    return 2;
}
