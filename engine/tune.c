/* myelin_tune: measure the variants and blocks of the path in use on this
   machine and keep the result (FFTW's wisdom), and the public calls that
   read or load a tuning record.

   What it measures, candidates interleaved round by round (a shared VM's
   noise moves in seconds; a candidate measured in one burst would carry it),
   medians of the rounds:
     1. each GEMM variant of the path, on the large class (768^3) and on the
        neural-net class (the forward, dW and dX products of a 784-128 layer
        at batch 128, a 128 -> 64 layer at batch 256 and the 64 -> 10 output);
     2. MC (mc_l2 0.25 / 0.5 / 0.75 of L2) on the large class;
     3. the rows-along-lanes limit for row-major A (0 / 10 / 12) on 256 x n x 64.
   A candidate replaces the built-in value only when the median of its
   per-round time ratios to the built-in one is below 1 - MARGIN: a tuned
   record is never slower than the built-in one by more than the noise. Tuning changes no result (tests/kernels/test_tuning.c). */
#include "internal.h"
#include "tuning.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MARGIN 0.05
#define MAX_CAND 8

typedef struct {
    int ta, tb;
    size_t m, n, k;
} shape;

static const shape large_shapes[] = {{0, 0, 768, 768, 768}};
static const shape nn_shapes[] = {{0, 0, 128, 128, 784}, {1, 0, 784, 128, 128}, {0, 1, 128, 784, 128},
                                  {0, 0, 256, 64, 128}, {0, 0, 256, 10, 64}};
static const shape lanes_shapes[] = {{0, 0, 256, 10, 64}, {0, 0, 256, 12, 64}, {0, 0, 512, 10, 128}};

typedef struct {
    float *a, *b, *c;
    double t0, budget;
    myelin_tune_progress_fn progress;
    void *user;
    double done; /* fraction of the budget's steps finished */
} tuner;

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

/* Seconds per product of one shape: repeated for at least 10 ms. */
static double time_shape(const tuner *tu, const shape *s)
{
    size_t lda = s->ta ? s->m : s->k, ldb = s->tb ? s->k : s->n;
    double t = now(), t1;
    size_t reps = 0;
    do {
        myl_gemm(s->ta, s->tb, s->m, s->n, s->k, 1.0f, tu->a, lda, tu->b, ldb, 0.0f, tu->c, s->n, NULL, 0, 0.0f);
        reps++;
        t1 = now();
    } while (t1 - t < 0.010);
    return (t1 - t) / (double)reps;
}

static int cmp_double(const void *x, const void *y)
{
    double a = *(const double *)x, b = *(const double *)y;
    return a < b ? -1 : a > b;
}

/* Rounds of every candidate on every shape, interleaved; returns the index
   of the candidate that beats the incumbent (0) by more than MARGIN in the
   median of paired per-round ratios, else 0. */
static size_t pick(tuner *tu, const char *what, double share, myl_tuning *cand, size_t nc, const shape *sh,
                   size_t ns)
{
    enum { ROUNDS = 64 };
    static double t[MAX_CAND][8][ROUNDS];
    size_t rounds = 0;
    const double start = now(), slice = share * tu->budget;
    for (size_t r = 0; r < ROUNDS; r++) {
        /* At least 3 rounds; then as many as this step's share of the budget allows. */
        double spent = now() - start;
        if (r >= 3 && (spent + spent / (double)r > slice || now() - tu->t0 > tu->budget))
            break;
        for (size_t c = 0; c < nc; c++) {
            size_t ci = (c + r) % nc; /* rotate who goes first */
            myl_tuning_use(&cand[ci], "myelin_tune: measuring");
            for (size_t s = 0; s < ns; s++)
                t[ci][s][r] = time_shape(tu, &sh[s]);
        }
        rounds++;
        if (tu->progress) {
            char msg[160];
            snprintf(msg, sizeof msg, "%s: %zu candidates, round %zu", what, nc, r + 1);
            double f = (now() - start) / slice;
            tu->progress(tu->done + share * (f < 1 ? f : 1), msg, tu->user);
        }
    }
    tu->done += share;
    /* Paired: in each round, a candidate's time over the incumbent's (the
       geometric mean over the shapes), then the median of those ratios over
       the rounds. Both ran back to back, so the load's drift over seconds
       cancels; the median of separate medians did not (on the loaded Zen 5
       VM it picked the 32x12 tile for large products, 0.76x at 2048^3). */
    double best = 1.0 - MARGIN, ratio[ROUNDS];
    size_t bi = 0;
    for (size_t c = 1; c < nc; c++) {
        for (size_t r = 0; r < rounds; r++) {
            double lg = 0;
            for (size_t s = 0; s < ns; s++)
                lg += log(t[c][s][r] / t[0][s][r]);
            ratio[r] = exp(lg / (double)ns);
        }
        qsort(ratio, rounds, sizeof(double), cmp_double);
        const double med = ratio[rounds / 2];
        if (med < best)
            best = med, bi = c;
    }
    return bi;
}

static int write_file(const char *path, const char *text)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    for (char *p = dir + 1; *p; p++) /* mkdir -p of the directory */
        if (*p == '/') {
            *p = 0;
            if (mkdir(dir, 0755) != 0 && errno != EEXIST)
                return myl_fail(MYELIN_EIO, "myelin_tune: cannot create %s: %s", dir, strerror(errno));
            *p = '/';
        }
    char tmp[1100];
    snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid());
    FILE *f = fopen(tmp, "w");
    if (!f)
        return myl_fail(MYELIN_EIO, "myelin_tune: cannot write %s: %s", tmp, strerror(errno));
    int ok = fputs(text, f) >= 0;
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        int e = errno;
        remove(tmp);
        return myl_fail(MYELIN_EIO, "myelin_tune: cannot write %s: %s", path, strerror(e));
    }
    return MYELIN_OK;
}

int myelin_tune(const char *path, double max_seconds, myelin_tune_progress_fn progress, void *user)
{
    if (!(max_seconds >= 1.0 && max_seconds <= 3600.0))
        return myl_fail(MYELIN_EINVAL, "myelin_tune: max_seconds is %g, not in [1, 3600]", max_seconds);
    const myl_kernels *kt;
    int st = myl_kernels_get(&kt);
    if (st)
        return st;
    char file[1024];
    int from_env = 0;
    if (path && *path)
        snprintf(file, sizeof file, "%s", path);
    else if (!myl_tuning_default_path(file, sizeof file, &from_env))
        return myl_fail(MYELIN_EINVAL, "myelin_tune: no path given and neither MYELIN_TUNING, XDG_CACHE_HOME nor HOME set");
    tuner tu = {NULL, NULL, NULL, now(), max_seconds * 0.9, progress, user, 0};
    const size_t big = 1024 * 1024;
    tu.a = myl_alloc(big * sizeof(float));
    tu.b = myl_alloc(big * sizeof(float));
    tu.c = myl_alloc(big * sizeof(float));
    if (!tu.a || !tu.b || !tu.c) {
        myl_free(tu.a), myl_free(tu.b), myl_free(tu.c);
        return myl_fail(MYELIN_ENOMEM, "myelin_tune: cannot allocate 12 MiB of operands");
    }
    for (size_t i = 0; i < big; i++) {
        tu.a[i] = (float)((i * 7919) % 1000) * 1e-3f - 0.5f;
        tu.b[i] = (float)((i * 104729) % 1000) * 1e-3f - 0.5f;
    }
    myl_tuning best, cand[MAX_CAND];
    myl_tuning_builtin(&best, NULL, 0);
    snprintf(best.name, sizeof best.name, "tuned");
    myl_isa_tuning *bx = &best.isa[kt->id];
    size_t nv = kt->n_variants < MAX_CAND ? kt->n_variants : MAX_CAND, n;
    /* 1. Variant per class (the built-in's first). */
    for (int cls = 0; cls < MYL_CLASS_COUNT; cls++) {
        n = 0;
        cand[n++] = best;
        for (unsigned v = 0; v < nv; v++)
            if (v != bx->variant[cls]) {
                cand[n] = best;
                cand[n].isa[kt->id].variant[cls] = v;
                cand[n].isa[kt->id].large_work = cls == MYL_CLASS_LARGE ? 0 : 1e30; /* the class covers all */
                n++;
            }
        cand[0].isa[kt->id].large_work = cls == MYL_CLASS_LARGE ? 0 : 1e30;
        size_t w = pick(&tu, cls == MYL_CLASS_LARGE ? "variant, large products" : "variant, neural-net products",
                        cls == MYL_CLASS_LARGE ? 0.3 : 0.35, cand, n, cls == MYL_CLASS_LARGE ? large_shapes : nn_shapes,
                        cls == MYL_CLASS_LARGE ? 1 : sizeof nn_shapes / sizeof nn_shapes[0]);
        bx->variant[cls] = cand[w].isa[kt->id].variant[cls];
    }
    /* 2. MC. */
    static const double mcs[] = {0.25, 0.75};
    n = 0;
    cand[n++] = best;
    for (size_t i = 0; i < 2; i++) {
        cand[n] = best;
        cand[n++].isa[kt->id].mc_l2 = mcs[i];
    }
    bx->mc_l2 = cand[pick(&tu, "MC (share of L2)", 0.2, cand, n, large_shapes, 1)].isa[kt->id].mc_l2;
    /* 3. Rows along the lanes with row-major A. */
    n = 0;
    cand[n++] = best;
    if (kt->gemm_ukr_lanes) {
        static const unsigned lim[] = {0, 10, 12};
        for (size_t i = 0; i < 3; i++)
            if (lim[i] != bx->lanes_rowmajor_nmax) {
                cand[n] = best;
                cand[n++].isa[kt->id].lanes_rowmajor_nmax = lim[i];
            }
        bx->lanes_rowmajor_nmax = cand[pick(&tu, "rows along the lanes, row-major A", 0.15, cand, n, lanes_shapes, 3)]
                                      .isa[kt->id]
                                      .lanes_rowmajor_nmax;
    }
    myl_free(tu.a), myl_free(tu.b), myl_free(tu.c);

    char sig[512], text[8192], src[1200];
    myl_tuning_signature(sig, sizeof sig);
    snprintf(src, sizeof src, "file %s (measured here by myelin_tune, %.0f s)", file, now() - tu.t0);
    myl_tuning_use(&best, src);
    if ((st = myl_tuning_format(&best, sig, text, sizeof text)))
        return st;
    char head[8400];
    snprintf(head, sizeof head, "# myelin tuning record, measured by `myelin tune` on the %s path in %.0f s.\n%s",
             kt->name, now() - tu.t0, text);
    if ((st = write_file(file, head)))
        return st;
    if (progress)
        progress(1.0, file, user);
    return MYELIN_OK;
}

int myelin_tuning_info(char *buf, size_t len)
{
    if (!buf || len == 0)
        return myl_fail(MYELIN_EINVAL, "myelin_tuning_info: buf is NULL or len is 0");
    char sig[512];
    myl_tuning_signature(sig, sizeof sig);
    int n = snprintf(buf, len, "# %s\n", myl_tuning_source());
    if (n < 0 || (size_t)n >= len)
        return myl_fail(MYELIN_EINVAL, "myelin_tuning_info: buffer of %zu bytes too small", len);
    return myl_tuning_format(myl_tuning_active(), sig, buf + n, len - (size_t)n);
}

int myelin_tuning_load(const char *path)
{
    if (!path) {
        myl_tuning_use(NULL, NULL);
        return MYELIN_OK;
    }
    FILE *f = fopen(path, "rb");
    if (!f)
        return myl_fail(MYELIN_EIO, "myelin_tuning_load: cannot open %s: %s", path, strerror(errno));
    char *text = malloc(65537);
    size_t len = text ? fread(text, 1, 65537, f) : 0;
    fclose(f);
    if (!text)
        return myl_fail(MYELIN_ENOMEM, "myelin_tuning_load: out of memory");
    if (len > 65536) {
        free(text);
        return myl_fail(MYELIN_EFORMAT, "myelin_tuning_load: %s is larger than 64 KiB, not a tuning file", path);
    }
    myl_tuning t;
    char sig[512], mine[512];
    int st = myl_tuning_parse(text, len, &t, sig, sizeof sig);
    free(text);
    if (st) {
        char why[300];
        snprintf(why, sizeof why, "%s", myelin_last_error());
        return myl_fail(st, "%s: %s", path, why);
    }
    myl_tuning_signature(mine, sizeof mine);
    if (strcmp(sig, mine) != 0)
        return myl_fail(MYELIN_EUNSUPPORTED, "%s was measured on another CPU ('%s'); this is '%s'", path, sig, mine);
    char src[1200];
    snprintf(src, sizeof src, "file %s (loaded by the program)", path);
    myl_tuning_use(&t, src);
    return MYELIN_OK;
}
