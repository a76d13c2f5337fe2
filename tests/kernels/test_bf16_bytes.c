/* The AVX512-BF16 path against the scalar emulation: the same bytes for
 * every result (NaN payloads included), on operands with subnormal, huge,
 * infinite and NaN elements, several K blocks, bias and ReLU (which lets NaN
 * through); and its packers against the portable ones, word for word.
 * Skipped where the CPU has no AVX512-BF16. */
#include "../harness.h"
#include "bf16-pack.h"
#include "bf16.h"
#include "internal.h"
#include "myelin.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static uint64_t rng = 0xb17e5;

static float bits(uint32_t u)
{
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* Mostly in [-1, 1]; 1 in 16 from every class: subnormal, tiny, huge, inf, NaN, signed zero. */
static float wild(void)
{
    uint64_t r = th_rand_u64(&rng);
    if (r % 16)
        return th_rand_uniform(&rng, -1.0f, 1.0f);
    uint32_t sg = (uint32_t)(r >> 8 & 1) << 31;
    switch (r >> 9 & 7) {
    case 0: return bits(sg | (uint32_t)(r >> 12 & 0x7fffff)); /* subnormal */
    case 1: return bits(sg | (uint32_t)(1 + (r >> 12) % 20) << 23 | (uint32_t)(r >> 40 & 0x7fffff)); /* tiny normal */
    case 2: return bits(sg | (uint32_t)(230 + (r >> 12) % 25) << 23 | (uint32_t)(r >> 40 & 0x7fffff)); /* huge */
    case 3: return bits(sg | 0x7f800000u);
    case 4: return bits(sg | 0x7fc00000u | (uint32_t)(r >> 20 & 0x3fffff));
    case 5: return bits(sg);
    case 6: return bits(sg | (uint32_t)(100 + (r >> 12) % 20) << 23 | (uint32_t)(r >> 40 & 0x7fffff));
    default: return th_rand_uniform(&rng, -1e-19f, 1e-19f); /* products near FP32's subnormals */
    }
}

static int have_hw(void)
{
    if (!myelin_isa_supported("avx512bf16")) {
        th_skip("no AVX512-BF16 on this CPU");
        return 0;
    }
    return 1;
}

static void same_bytes(int ta, int tb, size_t m, size_t n, size_t k, float alpha, float beta, int act, int wild_ops)
{
    size_t lda = (ta ? m : k) + 1, ldb = (tb ? k : n) + 2, ldc = n + 1;
    size_t asz = (ta ? k : m) * lda, bsz = (tb ? n : k) * ldb, csz = m * ldc;
    float *a = malloc(asz * sizeof *a), *b = malloc(bsz * sizeof *b), *c0 = malloc(csz * sizeof *c0);
    float *c1 = malloc(csz * sizeof *c1), *c2 = malloc(csz * sizeof *c2), *bias = malloc(n * sizeof *bias);
    if (CHECK(a && b && c0 && c1 && c2 && bias, "out of memory")) {
        for (size_t i = 0; i < asz; i++)
            a[i] = wild_ops ? wild() : th_rand_uniform(&rng, -1, 1);
        for (size_t i = 0; i < bsz; i++)
            b[i] = wild_ops ? wild() : th_rand_uniform(&rng, -1, 1);
        for (size_t i = 0; i < csz; i++)
            c0[i] = th_rand_uniform(&rng, -1, 1);
        for (size_t j = 0; j < n; j++)
            bias[j] = th_rand_uniform(&rng, -0.5f, 0.5f);
        memcpy(c1, c0, csz * sizeof *c0);
        memcpy(c2, c0, csz * sizeof *c0);
        const float *bs = act ? bias : NULL;
        myl_bf16_force_emulation(0);
        int s1 = myl_gemm_bf16(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c1, ldc, bs, act, 0.125f);
        myl_bf16_force_emulation(1);
        int s2 = myl_gemm_bf16(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c2, ldc, bs, act, 0.125f);
        myl_bf16_force_emulation(0);
        CHECK(s1 == MYELIN_OK && s2 == MYELIN_OK, "status %d %d", s1, s2);
        size_t diff = 0, first = 0;
        /* NaN results: NaN on both, their sign and payload may differ (which
           NaN operand an fma passes on depends on the instruction form the
           compiler picks: -O1 and -O2 builds differ). */
        for (size_t i = 0; i < csz; i++)
            if (memcmp(&c1[i], &c2[i], sizeof(float)) && !(isnan(c1[i]) && isnan(c2[i])) && !diff++)
                first = i;
        CHECK(diff == 0, "ta=%d tb=%d m=%zu n=%zu k=%zu act=%d wild=%d: %zu differ, first C[%zu][%zu] %a vs emulated %a",
              ta, tb, m, n, k, act, wild_ops, diff, first / ldc, first % ldc, c1[first], c2[first]);
    }
    free(a);
    free(b);
    free(c0);
    free(c1);
    free(c2);
    free(bias);
}

TEST(bf16_hw_same_bytes_as_emulation)
{
    if (!have_hw())
        return;
    myelin_set_isa("avx512");
    static const size_t dims[][3] = {{1, 1, 1}, {12, 32, 2}, {13, 33, 3}, {25, 17, 31}, {37, 70, 64},
                                     {5, 100, 257}, {64, 64, 1025}, {30, 9, 2100}};
    for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++)
        for (int t = 0; t < 4; t++)
            for (int wl = 0; wl < 2; wl++)
                same_bytes(t & 1, t >> 1, dims[d][0], dims[d][1], dims[d][2], d % 2 ? 1.0f : -0.75f,
                           d % 3 ? 0.0f : 1.5f, (int)(d + (size_t)t) % 3, wl);
    /* Tiny blocks: K cut in blocks of 8, the folding of beta between them. */
    myl_blocking blk = {1, 8, 1};
    myl_gemm_force_blocking(&blk);
    for (int t = 0; t < 4; t++)
        same_bytes(t & 1, t >> 1, 29, 45, 77, 1.0f, 0.5f, MYL_ACT_RELU, 1);
    myl_gemm_force_blocking(NULL);
    myelin_set_isa("auto");
}

/* The AVX-512 packers write the portable ones' words (rows' padding past
   the K pairs is never read, so not compared). */
TEST(bf16_hw_packers)
{
#if defined(MYL_HAVE_AVX512BF16)
    if (!have_hw())
        return;
    const myl_kernels *hw = &myl_kernels_bf16_avx512;
    static const size_t dims[][2] = {{1, 1}, {12, 2}, {13, 33}, {25, 31}, {40, 64}, {7, 1025}, {50, 96}};
    for (size_t d = 0; d < sizeof dims / sizeof dims[0]; d++)
        for (int tr = 0; tr < 2; tr++) {
            size_t rows = dims[d][0], kc = dims[d][1], ld = (tr ? rows : kc) + 3;
            size_t src = (tr ? kc : rows) * ld, s = myl_bf16_a_stride(kc), kq = (kc + 1) / 2;
            size_t pa = (rows + MYL_BF16_MR) / MYL_BF16_MR * MYL_BF16_MR * s, pb = (rows + 31) / 32 * 32 * kq;
            float *x = malloc(src * sizeof *x);
            size_t bytes = (pa + pb + 16) * 4 / 64 * 64 + 64; /* aligned_alloc: a multiple of the alignment */
            uint32_t *p1 = aligned_alloc(64, bytes), *p2 = aligned_alloc(64, bytes);
            if (!CHECK(x && p1 && p2, "out of memory"))
                return;
            for (size_t i = 0; i < src; i++)
                x[i] = wild();
            /* A: rows x kc */
            memset(p1, 0xab, bytes);
            memset(p2, 0xab, bytes);
            hw->pack_a(tr, rows, kc, x, ld, p1);
            myl_bf16_pack_a(MYL_BF16_MR, tr, rows, kc, x, ld, p2);
            size_t bad = 0, rs, cs;
            myl_bf16_a_steps(tr, MYL_BF16_MR, kc, &rs, &cs);
            for (size_t r = 0; r < (rows + MYL_BF16_MR - 1) / MYL_BF16_MR * MYL_BF16_MR; r++) {
                size_t w = r / MYL_BF16_MR * MYL_BF16_MR * s + r % MYL_BF16_MR * rs;
                for (size_t q = 0; q < kq; q++)
                    bad += p1[w + q * cs] != p2[w + q * cs];
            }
            CHECK(bad == 0, "pack_a trans=%d rows=%zu kc=%zu: %zu words differ", tr, rows, kc, bad);
            /* B: kc x rows columns, the same storage (so transposed when A is not) */
            hw->pack_b(!tr, kc, rows, x, ld, p1);
            myl_bf16_pack_b(MYL_BF16_NR, !tr, kc, rows, x, ld, p2);
            bad = 0;
            for (size_t w = 0; w < (rows + 31) / 32 * 32 * kq; w++)
                bad += p1[w] != p2[w];
            CHECK(bad == 0, "pack_b trans=%d cols=%zu kc=%zu: %zu words differ", !tr, rows, kc, bad);
            free(x);
            free(p1);
            free(p2);
        }
#else
    th_skip("no AVX512-BF16 path in this build");
#endif
}
