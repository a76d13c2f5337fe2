/* cli.h - shared pieces of the `myelin` tool: option parsing, messages,
   data sets by name. The tool uses the public API only. */
#ifndef MYL_CLI_H
#define MYL_CLI_H

#include "myelin.h"

#include <stddef.h>
#include <stdint.h>

typedef enum { OPT_FLAG, OPT_STR, OPT_INT, OPT_SIZE, OPT_FLOAT } cli_kind;

typedef struct {
    const char *name;   /* long name without the dashes        */
    cli_kind kind;
    void *dst;          /* int, const char *, long, size_t, float */
    const char *meta;   /* value placeholder in --help          */
    const char *help;
} cli_opt;

/* Parses argv[1..] into opts. Returns 0 to go on, 1 when --help was printed
   (exit 0), 2 after a one-line error on stderr (exit 2). */
int cli_parse(const char *cmd, const char *usage, const cli_opt *opts, int argc, char **argv);
/* Prints "myelin CMD: message" on stderr; returns 1 (the exit status). */
int cli_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Maps value to its index in names (n entries); else an error naming opt. */
int cli_choice(const char *cmd, const char *opt, const char *value, const char *const *names, int n, int *out);

/* Options every command shares: threads, ISA, pinning. */
typedef struct {
    long threads;
    const char *isa;
    int pin;
} cli_machine;
int cli_apply_machine(const char *cmd, const cli_machine *m);

/* Data sets by name: fashion-mnist | mnist:DIR | csv:FILE | xor | table3. */
typedef struct {
    const char *label;   /* CSV label column: name, index, "last" or "none" */
    const char *header;  /* CSV header: auto, yes, no                      */
    const char *binary;  /* 0/1 targets: odd, even, or a list of classes  */
    size_t limit;        /* keep the first N rows (0 = all)                */
} cli_data_opts;

/* part 0: the training part, 1: the test part. *found = 0 when the set has
   no test part (a CSV file): then out is empty and 0 is returned. */
int cli_load_data(const char *cmd, const char *spec, int part, const cli_data_opts *o, myelin_data *out,
                  int *found);

/* The model-reading commands' start: --model given, the machine options
   applied, the model loaded. 0, or the exit status after an error message. */
int cli_open_model(const char *cmd, const char *model, const cli_machine *m, myelin_net **net);
/* The set's test part, or (train_part, or a set without one: a CSV file)
   the training part. 0, or 1 after an error message. */
int cli_load_eval_part(const char *cmd, const char *spec, int train_part, const cli_data_opts *o, myelin_data *out);

/* The network of a training command line (cli/net_build.c). */
typedef struct {
    const char *layers, *init_scale, *bias_init, *lr_mult, *dropout, *in_dropout, *dropconnect;
} cli_net_opts;
extern const char *const cli_loss_names[6];
extern const char *const cli_init_names[6];
/* The net from the description (NULL: one hidden layer of 64 sized from d)
   and its overrides; loss_i and init_i index the names above (-1: from the
   output layer, as the description says); the input preprocessing *prep
   (1 none, 2 scale, 3 standardize, 0 auto: resolved here) from d's
   statistics. 0, or 1 after a message on stderr. */
int cli_build_net(const char *cmd, const cli_net_opts *no, int loss_i, int init_i, const myelin_data *d,
                  uint64_t seed, int *prep, myelin_net **out);

/* The options myelin train and myelin-mpi train share (cli/train_args.c):
   their values, and after cli_train_resolve the indexes of the names. */
typedef struct {
    myelin_train_opts to;  /* the numeric options parse straight into it */
    cli_machine m;
    cli_data_opts dopt;
    cli_net_opts no;
    const char *data, *test, *loss, *init, *opt, *sched, *prep, *precision, *save, *history;
    long seed;
    size_t test_limit;
    float val, slope;
    int json, profile, quiet, no_shuffle, scale, standardize;
    int opt_i, sched_i, prec_i, loss_i, init_i, prep_i; /* loss_i, init_i -1: not given */
} cli_train_args;
extern const char *const cli_opt_names[6];
/* A tool's own option, listed after the shared one named after. */
typedef struct {
    const char *after;
    cli_opt opt;
} cli_opt_extra;
/* A tool's help text for a shared option. */
typedef struct {
    const char *name, *help;
} cli_help_text;
typedef int (*cli_error_fn)(const char *cmd, const char *fmt, ...);
/* What a training tool adds to the shared options. */
typedef struct {
    const char *usage;           /* the --help text's head                                  */
    const cli_help_text *help;   /* its help for shared options (NULL-terminated, or NULL)  */
    const cli_opt_extra *extra;  /* its own options (likewise)                              */
    const char *val_refusal;     /* why it takes no --val (NULL: a fraction in [0, 1))      */
    cli_error_fn error;          /* its messages after parsing (cli_error's shape)          */
} cli_train_tool;

/* The defaults. */
void cli_train_args_init(cli_train_args *a);
/* Parses argv into a, then checks it: the names' choices (their messages by
   cli_error), --prep against --scale/--standardize, --val, --seed and
   --leaky-slope (set here), and fills a->to's opt, schedule, precision,
   shuffle, seed and profile. As cli_parse: 0 to go on, 1 after --help (exit
   0), 2 after a message (exit 2). */
int cli_train_parse(const char *cmd, const cli_train_tool *t, cli_train_args *a, int argc, char **argv);
/* The net's summary and the start of the data line, with the validation
   rows (va NULL or empty: none) and the test rows (te NULL: no test set);
   no newline: the tool's "training:" line follows. */
void cli_train_print_data(const myelin_net *net, const char *data, const myelin_data *tr, int prep_i,
                          const myelin_data *va, const myelin_data *te);

/* The net's input width and outputs against the data's columns and classes. */
int cli_check_fit(const char *cmd, const myelin_net *net, const myelin_data *d, const char *what);

int cmd_info(int argc, char **argv);
int cmd_tune(int argc, char **argv);
int cmd_train(int argc, char **argv);
int cmd_eval(int argc, char **argv);
int cmd_predict(int argc, char **argv);

#endif
