/* Option parsing (--name value, --name=value), --help with defaults, and the
   one-line errors of the tool. */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int cli_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "myelin %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return 1;
}

static void print_default(const cli_opt *o)
{
    switch (o->kind) {
    case OPT_FLAG: break;
    case OPT_STR:
        if (*(const char **)o->dst)
            printf(" (default %s)", *(const char **)o->dst);
        break;
    case OPT_INT: printf(" (default %ld)", *(long *)o->dst); break;
    case OPT_SIZE: printf(" (default %zu)", *(size_t *)o->dst); break;
    case OPT_FLOAT: printf(" (default %g)", (double)*(float *)o->dst); break;
    }
}

static void usage_text(const char *usage, const cli_opt *opts)
{
    printf("%s\n\nOptions:\n", usage);
    for (const cli_opt *o = opts; o->name; o++) {
        char left[64];
        snprintf(left, sizeof left, "--%s%s%s", o->name, o->meta ? " " : "", o->meta ? o->meta : "");
        printf("  %-24s %s", left, o->help);
        print_default(o);
        printf("\n");
    }
    printf("  %-24s %s\n", "--help", "this text");
}

static int set_value(const char *cmd, const cli_opt *o, const char *v)
{
    char *end;
    errno = 0;
    switch (o->kind) {
    case OPT_FLAG: break;
    case OPT_STR: *(const char **)o->dst = v; return 0;
    case OPT_INT: {
        long x = strtol(v, &end, 10);
        if (end == v || *end || errno)
            break;
        *(long *)o->dst = x;
        return 0;
    }
    case OPT_SIZE: {
        if (*v == '-')
            break;
        unsigned long long x = strtoull(v, &end, 10);
        if (end == v || *end || errno)
            break;
        *(size_t *)o->dst = (size_t)x;
        return 0;
    }
    case OPT_FLOAT: {
        double x = strtod(v, &end);
        if (end == v || *end || errno || !isfinite(x))
            break;
        *(float *)o->dst = (float)x;
        return 0;
    }
    }
    cli_error(cmd, "--%s: \"%s\" is not %s", o->name, v,
              o->kind == OPT_FLOAT ? "a finite number" : o->kind == OPT_SIZE ? "a count >= 0" : "an integer");
    return 2;
}

int cli_parse(const char *cmd, const char *usage, const cli_opt *opts, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage_text(usage, opts);
            return 1;
        }
        if (strncmp(a, "--", 2) != 0) {
            cli_error(cmd, "unexpected argument \"%s\" (see myelin %s --help)", a, cmd);
            return 2;
        }
        const char *name = a + 2, *eq = strchr(name, '=');
        size_t nlen = eq ? (size_t)(eq - name) : strlen(name);
        const cli_opt *o = opts;
        while (o->name && !(strlen(o->name) == nlen && !strncmp(o->name, name, nlen)))
            o++;
        if (!o->name) {
            cli_error(cmd, "unknown option --%.*s (see myelin %s --help)", (int)nlen, name, cmd);
            return 2;
        }
        if (o->kind == OPT_FLAG) {
            if (eq) {
                cli_error(cmd, "--%s takes no value", o->name);
                return 2;
            }
            *(int *)o->dst = 1;
            continue;
        }
        const char *v = eq ? eq + 1 : (i + 1 < argc ? argv[++i] : NULL);
        if (!v) {
            cli_error(cmd, "--%s needs a value (%s)", o->name, o->meta ? o->meta : "value");
            return 2;
        }
        if (set_value(cmd, o, v))
            return 2;
    }
    return 0;
}

int cli_choice(const char *cmd, const char *opt, const char *value, const char *const *names, int n, int *out)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(value, names[i])) {
            *out = i;
            return 0;
        }
    char list[256] = "";
    for (int i = 0; i < n; i++)
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? ", " : "", names[i]);
    cli_error(cmd, "--%s: unknown value \"%s\" (one of: %s)", opt, value, list);
    return 2;
}

int cli_apply_machine(const char *cmd, const cli_machine *m)
{
    if (m->threads < 0 || m->threads > 1024)
        return cli_error(cmd, "--threads: %ld is not in 0..1024", m->threads);
    if (myelin_set_num_threads((int)m->threads))
        return cli_error(cmd, "--threads: %s", myelin_last_error());
    if (m->isa && myelin_set_isa(m->isa))
        return cli_error(cmd, "--isa: %s", myelin_last_error());
    if (m->pin && myelin_set_pinning(1))
        return cli_error(cmd, "--pin: %s", myelin_last_error());
    return 0;
}
