/* The tuning file: the CPU signature it was measured on, then the record,
 * one "key value" per line ('#' starts a comment):
 *
 *   myelin-tuning 1
 *   cpu x86-64 AuthenticAMD family 0x1a model 0x2 avx512 l1d 49152 l2 1048576 brand AMD EPYC
 *   name tuned
 *   avx512.variant.large f32-gemm-12x32-avx512
 *   avx512.kc 768
 *   sched.solo_work 2e6
 *
 * Keys left out keep the built-in record's values. Anything else (an unknown
 * key or variant, a number out of its range, a line too long, no header) is
 * MYELIN_EFORMAT with the line named: a malformed file is never half-used. */
#include "internal.h"
#include "tuning.h"

#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const isa_names[MYL_ISA_COUNT] = {"scalar", "avx2", "avx512", "neon"};
static const char *const class_names[MYL_CLASS_COUNT] = {"large", "nn"};

enum { F_SIZE, F_UNSIGNED, F_DOUBLE };
static const struct {
    const char *key;
    size_t off;
    int type;
    double lo, hi;
} fields[] = {
#define F(name, type, lo, hi) {#name, offsetof(myl_isa_tuning, name), type, lo, hi}
    F(large_work, F_DOUBLE, 0, 1e30),
    F(mc, F_SIZE, 0, 1 << 20), F(nc, F_SIZE, 0, 1 << 24),
    F(mc_l2, F_DOUBLE, 0, 1024), F(nc_l3, F_DOUBLE, 0, 1024),
    F(mc_max, F_SIZE, 0, 1 << 20), F(nc_max, F_SIZE, 0, 1 << 24),
    F(mr_narrow, F_UNSIGNED, 0, 4096),
    F(lanes_min_rows, F_UNSIGNED, 0, 4096), F(lanes_nmax, F_UNSIGNED, 0, 64), F(lanes_rowmajor_nmax, F_UNSIGNED, 0, 64),
    F(direct_b_mc, F_DOUBLE, 0, 1e9), F(alias_ld, F_UNSIGNED, 0, 1 << 20),
    F(bt_pack_b, F_DOUBLE, 0, 1e6), F(bt_pack_a, F_DOUBLE, 0, 1e6), F(bt_epi, F_DOUBLE, 0, 1e6),
    F(pack_cost, F_DOUBLE, 0, 1e6),
    F(team_work, F_DOUBLE, 0, 1e30), F(team_min_cols, F_UNSIGNED, 1, 4096),
#undef F
};
static const struct {
    const char *key;
    size_t off;
} sched_fields[] = {
    {"overlap_work", offsetof(myl_sched_tuning, overlap_work)},
    {"min_team_work", offsetof(myl_sched_tuning, min_team_work)},
    {"solo_work", offsetof(myl_sched_tuning, solo_work)},
    {"min_team_elements", offsetof(myl_sched_tuning, min_team_elements)},
};

void myl_tuning_signature(char *buf, size_t len)
{
    const myl_cpu *c = myl_cpu_info();
    const myl_caches *ca = myl_cache_info();
#if defined(__aarch64__)
    const char *arch = "aarch64";
#else
    const char *arch = "x86-64";
#endif
    const char *isa = c->avx512f && c->os_zmm ? "avx512" : c->avx2 && c->os_ymm ? "avx2" : c->neon ? "neon" : "base";
    snprintf(buf, len, "%s %s family 0x%x model 0x%x %s l1d %zu l2 %zu brand %s", arch,
             c->vendor[0] ? c->vendor : "unknown", (unsigned)c->family, (unsigned)c->model, isa, ca->l1d, ca->l2,
             c->brand[0] ? c->brand : "unknown");
}

static int number(const char *s, double lo, double hi, double *out)
{
    char *end;
    double v = strtod(s, &end);
    if (end == s || *end || !isfinite(v) || v < lo || v > hi)
        return 0;
    *out = v;
    return 1;
}

/* One "key value" line of the record into t; 0 with msg on error. */
static int apply(myl_tuning *t, const char *key, const char *val, char *msg, size_t len)
{
    if (!strcmp(key, "name")) {
        if (strlen(val) >= sizeof t->name)
            return snprintf(msg, len, "name longer than %zu characters", sizeof t->name - 1), 0;
        snprintf(t->name, sizeof t->name, "%s", val);
        return 1;
    }
    if (!strncmp(key, "sched.", 6)) {
        for (size_t i = 0; i < sizeof sched_fields / sizeof sched_fields[0]; i++)
            if (!strcmp(key + 6, sched_fields[i].key)) {
                double v;
                if (!number(val, 0, 1e30, &v))
                    return snprintf(msg, len, "%s: '%.40s' is not a number in [0, 1e30]", key, val), 0;
                *(double *)(void *)((char *)&t->sched + sched_fields[i].off) = v;
                return 1;
            }
        return snprintf(msg, len, "unknown key '%.60s'", key), 0;
    }
    const char *dot = strchr(key, '.');
    unsigned id = MYL_ISA_COUNT;
    for (unsigned i = 0; dot && i < MYL_ISA_COUNT; i++)
        if (strlen(isa_names[i]) == (size_t)(dot - key) && !strncmp(key, isa_names[i], (size_t)(dot - key)))
            id = i;
    if (id == MYL_ISA_COUNT)
        return snprintf(msg, len, "unknown key '%.60s' (keys are PATH.FIELD, sched.FIELD or name)", key), 0;
    myl_isa_tuning *x = &t->isa[id];
    const char *f = dot + 1;
    if (!strncmp(f, "variant.", 8)) {
        for (int cls = 0; cls < MYL_CLASS_COUNT; cls++)
            if (!strcmp(f + 8, class_names[cls])) {
                const myl_kernels *k = myl_tuning_table(id);
                for (unsigned v = 0; k && v < k->n_variants; v++)
                    if (!strcmp(k->variants[v].name, val)) {
                        x->variant[cls] = v;
                        return 1;
                    }
                return snprintf(msg, len, "%s: no variant '%.60s' in this build's %s path", key, val,
                                isa_names[id]),
                       0;
            }
        return snprintf(msg, len, "unknown key '%.60s' (classes: large, nn)", key), 0;
    }
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++)
        if (!strcmp(f, fields[i].key)) {
            double v;
            if (!number(val, fields[i].lo, fields[i].hi, &v) || (fields[i].type != F_DOUBLE && v != floor(v)))
                return snprintf(msg, len, "%s: '%.40s' is not a%s number in [%g, %g]", key, val,
                                fields[i].type != F_DOUBLE ? " whole" : "", fields[i].lo, fields[i].hi),
                       0;
            char *p = (char *)x + fields[i].off;
            if (fields[i].type == F_SIZE)
                *(size_t *)(void *)p = (size_t)v;
            else if (fields[i].type == F_UNSIGNED)
                *(unsigned *)(void *)p = (unsigned)v;
            else
                *(double *)(void *)p = v;
            return 1;
        }
    return snprintf(msg, len, "unknown key '%.60s'", key), 0;
}

int myl_tuning_parse(const char *text, size_t len, myl_tuning *out, char *sig, size_t siglen)
{
    myl_tuning t;
    myl_tuning_builtin(&t, NULL, 0);
    int header = 0, have_sig = 0;
    size_t pos = 0, lineno = 0;
    char msg[200];
    if (siglen)
        sig[0] = 0;
    while (pos < len) {
        size_t end = pos;
        while (end < len && text[end] != '\n')
            end++;
        lineno++;
        char line[512];
        size_t n = end - pos;
        if (n >= sizeof line)
            return myl_fail(MYELIN_EFORMAT, "tuning file: line %zu is longer than %zu bytes", lineno,
                            sizeof line - 1);
        memcpy(line, text + pos, n);
        line[n] = 0;
        pos = end + 1;
        if (memchr(line, 0, n))
            return myl_fail(MYELIN_EFORMAT, "tuning file: line %zu holds a NUL byte", lineno);
        char *hash = strchr(line, '#');
        if (hash)
            *hash = 0;
        while (n && (line[n - 1] == '\r' || line[n - 1] == ' ' || line[n - 1] == '\t'))
            line[--n] = 0;
        n = strlen(line);
        while (n && (line[n - 1] == ' ' || line[n - 1] == '\t' || line[n - 1] == '\r'))
            line[--n] = 0;
        char *key = line;
        while (*key == ' ' || *key == '\t')
            key++;
        if (!*key)
            continue;
        char *val = key;
        while (*val && *val != ' ' && *val != '\t')
            val++;
        if (*val)
            *val++ = 0;
        while (*val == ' ' || *val == '\t')
            val++;
        if (!header) {
            if (strcmp(key, "myelin-tuning") || strcmp(val, "1"))
                return myl_fail(MYELIN_EFORMAT, "tuning file: line %zu: expected 'myelin-tuning 1' first", lineno);
            header = 1;
            continue;
        }
        if (!*val)
            return myl_fail(MYELIN_EFORMAT, "tuning file: line %zu: '%.60s' has no value", lineno, key);
        if (!strcmp(key, "cpu")) {
            if (siglen)
                snprintf(sig, siglen, "%s", val);
            have_sig = 1;
            continue;
        }
        if (!apply(&t, key, val, msg, sizeof msg))
            return myl_fail(MYELIN_EFORMAT, "tuning file: line %zu: %s", lineno, msg);
    }
    if (!header)
        return myl_fail(MYELIN_EFORMAT, "tuning file: empty (expected 'myelin-tuning 1')");
    if (!have_sig)
        return myl_fail(MYELIN_EFORMAT, "tuning file: no 'cpu' line (the signature it was measured on)");
    *out = t;
    return MYELIN_OK;
}

int myl_tuning_format(const myl_tuning *t, const char *sig, char *buf, size_t len)
{
    myl_writer w = {buf, len, 0};
    if (len)
        buf[0] = 0;
    myl_put(&w, "myelin-tuning 1\n");
    if (sig)
        myl_put(&w, "cpu %s\n", sig);
    myl_put(&w, "name %s\n", t->name);
    for (unsigned id = 0; id < MYL_ISA_COUNT; id++) {
        const myl_kernels *k = myl_tuning_table(id);
        if (!k || !k->variants || !k->n_variants)
            continue;
        const myl_isa_tuning *x = &t->isa[id];
        for (int cls = 0; cls < MYL_CLASS_COUNT; cls++)
            myl_put(&w, "%s.variant.%s %s\n", isa_names[id], class_names[cls],
                    k->variants[x->variant[cls] < k->n_variants ? x->variant[cls] : 0].name);
        for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
            const char *p = (const char *)x + fields[i].off;
            if (fields[i].type == F_SIZE)
                myl_put(&w, "%s.%s %zu\n", isa_names[id], fields[i].key, *(const size_t *)(const void *)p);
            else if (fields[i].type == F_UNSIGNED)
                myl_put(&w, "%s.%s %u\n", isa_names[id], fields[i].key, *(const unsigned *)(const void *)p);
            else
                myl_put(&w, "%s.%s %.17g\n", isa_names[id], fields[i].key, *(const double *)(const void *)p);
        }
    }
    for (size_t i = 0; i < sizeof sched_fields / sizeof sched_fields[0]; i++)
        myl_put(&w, "sched.%s %.17g\n", sched_fields[i].key,
                *(const double *)(const void *)((const char *)&t->sched + sched_fields[i].off));
    if (w.off >= len)
        return myl_fail(MYELIN_EINVAL, "tuning record: buffer of %zu bytes too small (needs %zu)", len, w.off + 1);
    return MYELIN_OK;
}
