/* The tuning record changes speed only (KC, which decides where the K sums
   are rounded into C, is therefore not in it): the GEMM tests' shapes (every
   transpose, awkward sizes, padded and aliasing leading dimensions, bias and
   activations, one and two threads) give the same bytes under extreme
   records (tiny blocks, the largest blocks, every variant forced, every
   in-place and lanes choice flipped) as under the built-in one. And the
   tuning file reader: round trip, and clear errors on malformed files. */
#include "../harness.h"
#include "internal.h"
#include "myelin.h"
#include "tuning.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 0x7a11;

typedef struct {
    int ta, tb, act;
    size_t m, n, k, lda, ldb, ldc;
    float alpha, beta;
} tshape;

enum { MAX_SHAPES = 1200 };
static tshape shapes[MAX_SHAPES];
static size_t n_shapes;

static void add(int ta, int tb, size_t m, size_t n, size_t k, size_t pad, float alpha, float beta, int act)
{
    if (n_shapes == MAX_SHAPES)
        return;
    tshape s = {ta, tb, act, m, n, k, (ta ? m : k) + pad, (tb ? k : n) + pad, n + pad, alpha, beta};
    shapes[n_shapes++] = s;
}

/* The shapes of tests/kernels/test_gemm.c, a sample of its cube. */
static void make_shapes(int quick)
{
    static const float co[4] = {0.0f, 1.0f, -0.5f, 2.0f};
    n_shapes = 0;
    size_t step = quick ? 8 : 4;
    for (int t = 0; t < 4; t++)
        for (size_t m = 1 + (size_t)t; m <= 33; m += step)
            for (size_t n = 1; n <= 33; n += step)
                for (size_t k = 1; k <= 33; k += step)
                    add(t & 1, t >> 1, m, n, k, (m + n + k) % 3, co[(m + k) % 4], co[(n + k) % 4], (int)((m + n) % 6));
    static const size_t sz[] = {63, 64, 65, 255, 256, 257, 1000};
    for (size_t i = 0; i < sizeof sz / sizeof sz[0]; i++) {
        size_t s0 = sz[i];
        if (quick && s0 > 257)
            continue;
        size_t d[4][3] = {{s0, 17, 31}, {13, s0, 29}, {11, 19, s0}, {s0, s0 % 97 + 5, 37}};
        for (int t = 0; t < 4; t++)
            for (int h = 0; h < 4; h++)
                add(t & 1, t >> 1, d[h][0], d[h][1], d[h][2], (size_t)(h + t) % 5, co[(h + t) % 4],
                    co[(h + 2 * t) % 4], (h + t) % 6);
    }
    size_t nn[][3] = {{70, 10, 100}, {64, 42, 64}, {33, 12, 31}, {100, 11, 70}, {40, 3, 20}, {29, 26, 17},
                      {8, 100, 40}, {20, 300, 64}, {256, 10, 64}, {32, 128, 784}, {128, 784, 32}, {300, 64, 128}};
    for (size_t i = 0; i < sizeof nn / sizeof nn[0]; i++)
        for (int t = 0; t < 4; t++)
            add(t & 1, t >> 1, nn[i][0], nn[i][1], nn[i][2], 0, 1.0f, t == 3 ? 1.0f : 0.0f, (int)(i + (size_t)t) % 6);
    if (!quick) {
        add(0, 0, 257, 255, 256, 0, 1, 0, 1);
        add(1, 1, 1000, 64, 65, 1, -0.5f, 2, 0);
        add(0, 1, 65, 1000, 63, 3, 2, 1, 5);
        add(1, 0, 63, 65, 1000, 0, 1, -0.5f, 2);
    }
    for (int t = 0; t < 4; t++) { /* leading dimensions that alias in L1 */
        tshape s = {t & 1, t >> 1, t, 37, 29, 41, 512, 512, 512, 1.0f, t == 2 ? 0.5f : 0.0f};
        if (n_shapes < MAX_SHAPES)
            shapes[n_shapes++] = s;
    }
}

/* Runs every shape (threads 1 or 2) into out[i] (allocated). */
static int run_all(float **out, int threads)
{
    int saved = myelin_num_threads();
    myelin_set_num_threads(threads);
    int ok = 1;
    for (size_t i = 0; i < n_shapes && ok; i++) {
        const tshape *s = &shapes[i];
        size_t asz = (s->ta ? s->k : s->m) * s->lda, bsz = (s->tb ? s->n : s->k) * s->ldb, csz = s->m * s->ldc;
        float *a = malloc(asz * sizeof(float)), *b = malloc(bsz * sizeof(float)), *bias = malloc(s->n * sizeof(float));
        out[i] = malloc(csz * sizeof(float));
        if (!CHECK(a && b && bias && out[i], "out of memory")) {
            ok = 0;
        } else {
            uint64_t r = rng + i; /* same inputs under every record */
            for (size_t j = 0; j < asz; j++)
                a[j] = th_rand_uniform(&r, -1, 1);
            for (size_t j = 0; j < bsz; j++)
                b[j] = th_rand_uniform(&r, -1, 1);
            for (size_t j = 0; j < s->n; j++)
                bias[j] = th_rand_uniform(&r, -2, 2);
            for (size_t j = 0; j < csz; j++)
                out[i][j] = th_rand_uniform(&r, -1, 1);
            int st = myl_gemm(s->ta, s->tb, s->m, s->n, s->k, s->alpha, a, s->lda, b, s->ldb, s->beta, out[i], s->ldc,
                              s->act ? bias : NULL, s->act, 0.07f);
            ok = CHECK(st == MYELIN_OK, "status %d", st);
        }
        free(a);
        free(b);
        free(bias);
    }
    myelin_set_num_threads(saved);
    return ok;
}

static void compare(float **ref, float **got, const char *what, int threads)
{
    size_t bad = 0;
    for (size_t i = 0; i < n_shapes; i++) {
        const tshape *s = &shapes[i];
        if (memcmp(ref[i], got[i], s->m * s->ldc * sizeof(float)) != 0 && bad++ < 3)
            CHECK(0, "record '%s', %d thread(s): %zux%zux%zu ta=%d tb=%d ld %zu/%zu/%zu act %d: bytes differ", what,
                  threads, s->m, s->n, s->k, s->ta, s->tb, s->lda, s->ldb, s->ldc, s->act);
    }
    CHECK(bad == 0, "record '%s': %zu of %zu products differ", what, bad, n_shapes);
}

static void free_all(float **p)
{
    for (size_t i = 0; i < n_shapes; i++)
        free(p[i]);
}

/* Extreme records of the path: 0 tiny blocks, 1 largest blocks, 2.. each variant forced (with every
   in-place, lanes and threading choice flipped). */
static int extreme(const myl_kernels *k, int which, myl_tuning *t, char *name, size_t len)
{
    myl_tuning_builtin(t, NULL, 0);
    myl_isa_tuning *x = &t->isa[k->id];
    if (which == 0) {
        x->mc = 1, x->nc = 1;
        x->mr_narrow = 1, x->lanes_min_rows = 0, x->lanes_nmax = 64, x->lanes_rowmajor_nmax = 64;
        x->direct_b_mc = 0, x->alias_ld = 1; /* everything packed */
        x->bt_pack_b = 1e6, x->bt_pack_a = 0, x->bt_epi = 0; /* the B-transposed kernel wherever legal */
        x->team_work = 0, x->team_min_cols = 1;
        snprintf(name, len, "tiny blocks");
        return 1;
    }
    if (which == 1) {
        x->mc = 1 << 20, x->nc = 1 << 24, x->mc_max = 1 << 20, x->nc_max = 1 << 24;
        x->mr_narrow = 4096, x->lanes_nmax = x->lanes_rowmajor_nmax = 0; /* no lanes */
        x->direct_b_mc = 1e9, x->alias_ld = 0, x->bt_pack_b = 0; /* everything in place, no B-transposed kernel */
        x->team_work = 1e30;
        snprintf(name, len, "largest blocks");
        return 1;
    }
    unsigned v = (unsigned)(which - 2);
    if (v >= k->n_variants)
        return 0;
    x->variant[MYL_CLASS_LARGE] = x->variant[MYL_CLASS_NN] = v;
    x->large_work = 0;
    x->lanes_nmax = x->lanes_rowmajor_nmax = 64; /* clamped to the kernel's */
    x->lanes_min_rows = 1;
    x->mc = 40, x->nc = 70; /* blocks that are no multiple of anything */
    snprintf(name, len, "%s forced", k->variants[v].name);
    return 1;
}

TEST_ISA(tuning_never_changes_bytes)
{
    const myl_kernels *k = myl_kernels_by_name(isa);
    if (!CHECK(k != NULL, "no table"))
        return;
    make_shapes(th_quick());
    float **ref = calloc(n_shapes, sizeof *ref), **got = calloc(n_shapes, sizeof *got);
    if (!CHECK(ref && got, "out of memory"))
        goto out;
    myl_tuning_use(NULL, NULL);
    if (!run_all(ref, 1))
        goto out;
    for (int which = 0;; which++) {
        myl_tuning t;
        char name[96];
        if (!extreme(k, which, &t, name, sizeof name))
            break;
        myl_tuning_use(&t, name);
        for (int threads = 1; threads <= 2; threads++) {
            if (run_all(got, threads))
                compare(ref, got, name, threads);
            free_all(got);
            memset(got, 0, n_shapes * sizeof *got);
        }
    }
out:
    myl_tuning_use(NULL, NULL);
    if (ref)
        free_all(ref);
    free(ref);
    free(got);
}

TEST(tuning_file_round_trip)
{
    static const char *const names[] = {"zen4", "zen5", "intel-avx512", "avx2", "neon", "default"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        myl_tuning t, u;
        CHECK(myl_tuning_named(names[i], &t), "built-in '%s' missing", names[i]);
        char buf[8192], sig[256];
        CHECK(myl_tuning_format(&t, "test cpu", buf, sizeof buf) == MYELIN_OK, "format");
        int st = myl_tuning_parse(buf, strlen(buf), &u, sig, sizeof sig);
        CHECK(st == MYELIN_OK, "%s: parse of its own text: %s", names[i], myelin_last_error());
        CHECK(!strcmp(sig, "test cpu"), "signature '%s'", sig);
        char buf2[8192];
        myl_tuning_format(&u, "test cpu", buf2, sizeof buf2);
        CHECK(!strcmp(buf, buf2), "%s: round trip differs", names[i]);
    }
}

TEST(tuning_file_malformed)
{
    static const struct {
        const char *text, *msg;
    } bad[] = {
        {"", "empty"},
        {"myelin-tuning 2\ncpu x\n", "myelin-tuning 1"},
        {"cpu x\nmyelin-tuning 1\n", "myelin-tuning 1"},
        {"myelin-tuning 1\n", "no 'cpu' line"},
        {"myelin-tuning 1\ncpu x\navx512.mc banana\n", "line 3"},
        {"myelin-tuning 1\ncpu x\navx512.mc -4\n", "line 3"},
        {"myelin-tuning 1\ncpu x\navx512.mc 1e300\n", "line 3"},
        {"myelin-tuning 1\ncpu x\navx512.mc nan\n", "line 3"},
        {"myelin-tuning 1\ncpu x\navx512.mc 3.5\n", "whole"},
        {"myelin-tuning 1\ncpu x\nsse9.kc 3\n", "unknown key"},
        {"myelin-tuning 1\ncpu x\navx2.variant.large f32-gemm-99x99-avx2\n", "no variant"},
        {"myelin-tuning 1\ncpu x\navx2.variant.huge f32-gemm-6x16-avx2\n", "classes"},
        {"myelin-tuning 1\ncpu x\navx2.mc\n", "no value"},
        {"myelin-tuning 1\ncpu x\nsched.solo_work -1\n", "line 3"},
        {"myelin-tuning 1\ncpu x\nname 0123456789012345678901234567890123456789\n", "name longer"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        myl_tuning t;
        char sig[64];
        int st = myl_tuning_parse(bad[i].text, strlen(bad[i].text), &t, sig, sizeof sig);
        CHECK(st == MYELIN_EFORMAT, "case %zu: status %d", i, st);
        CHECK(strstr(myelin_last_error(), bad[i].msg) != NULL, "case %zu: message '%s' lacks '%s'", i,
              myelin_last_error(), bad[i].msg);
    }
    char big[1024];
    memset(big, 'x', sizeof big);
    memcpy(big, "myelin-tuning 1\n", 16);
    myl_tuning t;
    CHECK(myl_tuning_parse(big, sizeof big, &t, NULL, 0) == MYELIN_EFORMAT, "long line accepted");
    const char ok[] = "# comment\n\n  myelin-tuning 1  \r\ncpu a b c\navx512.mc 256 # why\nsched.solo_work 1e6\n";
    char sig[64];
    CHECK(myl_tuning_parse(ok, strlen(ok), &t, sig, sizeof sig) == MYELIN_OK, "good file: %s", myelin_last_error());
    CHECK(t.isa[MYL_ISA_AVX512].mc == 256 && t.sched.solo_work == 1e6 && !strcmp(sig, "a b c"), "values");
}
