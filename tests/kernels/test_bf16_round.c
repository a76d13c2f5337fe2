/* FP32 -> BF16 rounding (myelin_f32_to_bf16, the packers' myl_bf16_round) on
 * every float class, against an independent reference: the two BF16
 * neighbours of x compared in double, ties to the even one, subnormals to
 * signed zero; and the BF16
 * GEMM's argument checks. */
#include "../harness.h"
#include "bf16.h"
#include "myelin.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

static float bits(uint32_t u)
{
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

/* Reference RNE for finite x: truncation or the next BF16 up in magnitude. */
static uint16_t ref_round(uint32_t u)
{
    float x = bits(u);
    if (isnan(x))
        return 0xffff; /* checked separately */
    if (isinf(x))
        return (uint16_t)(u >> 16);
    if (fpclassify(x) == FP_SUBNORMAL) /* read as a zero of its sign (as vcvtne2ps2bf16) */
        return (uint16_t)((u >> 16) & 0x8000u);
    uint32_t lo = u & 0xffff0000u, hi = lo + 0x10000u; /* hi may be inf: fine */
    double dx = fabs((double)x), dl = fabs((double)bits(lo)), dh = fabs((double)bits(hi));
    if ((hi & 0x7fffffffu) == 0x7f800000u) /* past the largest: the overflow threshold is FLT_MAX's midpoint */
        dh = 2.0 * dl - fabs((double)bits(lo - 0x10000u)); /* one BF16 ulp above lo */
    if (dx - dl < dh - dx)
        return (uint16_t)(lo >> 16);
    if (dx - dl > dh - dx)
        return (uint16_t)(hi >> 16);
    return (uint16_t)(((lo >> 16) & 1) ? hi >> 16 : lo >> 16);
}

static int check_one(uint32_t u, const char *cls)
{
    uint16_t got = myl_bf16_round(bits(u)), viaapi = 0;
    float x = bits(u);
    myelin_f32_to_bf16(1, &x, &viaapi);
    if (!CHECK(got == viaapi, "%s %08x: routine %04x, API %04x", cls, u, got, viaapi))
        return 0;
    if (isnan(x)) {
        float back = myl_bf16_to_f32(got);
        return CHECK(isnan(back) && (got & 0x0040) && (got >> 15) == (u >> 31),
                     "%s %08x -> %04x: not a quiet NaN of the same sign", cls, u, got);
    }
    return CHECK(got == ref_round(u), "%s %08x -> %04x, want %04x", cls, u, got, ref_round(u));
}

TEST(bf16_round_every_class)
{
    static const struct {
        uint32_t u;
        uint16_t want;
        const char *what;
    } fixed[] = {
        {0x00000000, 0x0000, "+0"}, {0x80000000, 0x8000, "-0"},
        {0x00000001, 0x0000, "smallest subnormal -> 0"}, {0x80018000, 0x8000, "negative subnormal -> -0"},
        {0x007fffff, 0x0000, "largest subnormal -> 0 (not rounded up)"}, {0x00800001, 0x0080, "just above the smallest normal"},
        {0x00800000, 0x0080, "smallest normal"}, {0x3f800000, 0x3f80, "1"}, {0x3f808000, 0x3f80, "tie to even (down)"},
        {0x3f818000, 0x3f82, "tie to even (up)"}, {0x3f808001, 0x3f81, "above the tie"}, {0x3f807fff, 0x3f80, "below the tie"},
        {0xbf818000, 0xbf82, "negative tie"}, {0x7f7f7fff, 0x7f7f, "largest below overflow"},
        {0x7f7f8000, 0x7f80, "overflow tie -> inf"}, {0x7f7fffff, 0x7f80, "FLT_MAX -> inf"}, {0xff7fffff, 0xff80, "-FLT_MAX -> -inf"},
        {0x7f800000, 0x7f80, "+inf"}, {0xff800000, 0xff80, "-inf"}, {0x7fc00000, 0x7fc0, "quiet NaN"},
        {0x7f800001, 0x7fc0, "signaling NaN, low payload (not inf)"}, {0xff800001, 0xffc0, "negative signaling NaN"},
        {0x7fffffff, 0x7fff, "NaN, all payload"}, {0x7fa50000, 0x7fe5, "signaling NaN, top payload kept"},
    };
    for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
        uint16_t got = myl_bf16_round(bits(fixed[i].u));
        CHECK(got == fixed[i].want, "%s: %08x -> %04x, want %04x", fixed[i].what, fixed[i].u, got, fixed[i].want);
        check_one(fixed[i].u, fixed[i].what);
    }
    /* Every exponent (every class) with low halves around the tie, both signs. */
    static const uint32_t lows[] = {0x0000, 0x0001, 0x7ffe, 0x7fff, 0x8000, 0x8001, 0xfffe, 0xffff};
    size_t fails = 0;
    for (uint32_t e = 0; e < 256 && fails < 3; e++)
        for (uint32_t mhi = 0; mhi < 128; mhi += 5)
            for (size_t l = 0; l < 8; l++)
                for (uint32_t sg = 0; sg < 2; sg++)
                    fails += !check_one(sg << 31 | e << 23 | mhi << 16 | lows[l], "sweep");
    /* A random sample of all bit patterns. */
    uint64_t st = 99;
    for (int i = 0; i < 200000 && fails < 3; i++)
        fails += !check_one((uint32_t)th_rand_u64(&st), "random");
    CHECK(fails == 0, "%zu failures", fails);
    /* Back to FP32: exact (the BF16 bits on top). */
    uint16_t h[3] = {0x3f80, 0xff80, 0x0001};
    float f[3];
    CHECK(myelin_bf16_to_f32(3, h, f) == MYELIN_OK && f[0] == 1.0f && isinf(f[1]) && f[1] < 0 && f[2] == bits(0x00010000),
          "bf16 -> f32");
    CHECK(myelin_f32_to_bf16(3, NULL, h) == MYELIN_EINVAL && myelin_f32_to_bf16(3, f, NULL) == MYELIN_EINVAL, "NULL");
    CHECK(myelin_bf16_to_f32(3, NULL, f) == MYELIN_EINVAL && myelin_f32_to_bf16(0, NULL, NULL) == MYELIN_OK, "NULL, n 0");
}

/* Every bad argument: MYELIN_EINVAL, a message, C untouched (as myelin_sgemm). */
TEST(bf16_gemm_errors)
{
    float a[64], b[64], c[64];
    for (int i = 0; i < 64; i++)
        a[i] = b[i] = 1, c[i] = 12345.678f;
    const myelin_transpose N = MYELIN_NOTRANS, T = MYELIN_TRANS;
    struct {
        const char *what;
        int st;
    } r[] = {
        {"ta bad", myelin_gemm_bf16((myelin_transpose)2, N, 4, 4, 4, 1, a, 4, b, 4, 0, c, 4)},
        {"tb bad", myelin_gemm_bf16(N, (myelin_transpose)-1, 4, 4, 4, 1, a, 4, b, 4, 0, c, 4)},
        {"a NULL", myelin_gemm_bf16(N, N, 4, 4, 4, 1, NULL, 4, b, 4, 0, c, 4)},
        {"b NULL", myelin_gemm_bf16(N, N, 4, 4, 4, 1, a, 4, NULL, 4, 0, c, 4)},
        {"c NULL", myelin_gemm_bf16(N, N, 4, 4, 4, 1, a, 4, b, 4, 0, NULL, 4)},
        {"c NULL k=0", myelin_gemm_bf16(N, N, 4, 4, 0, 1, a, 4, b, 4, 0, NULL, 4)},
        {"lda < k", myelin_gemm_bf16(N, N, 4, 4, 5, 1, a, 4, b, 4, 0, c, 4)},
        {"lda < m (A^T)", myelin_gemm_bf16(T, N, 5, 4, 4, 1, a, 4, b, 4, 0, c, 5)},
        {"ldb < n", myelin_gemm_bf16(N, N, 4, 5, 4, 1, a, 4, b, 4, 0, c, 5)},
        {"ldb < k (B^T)", myelin_gemm_bf16(N, T, 4, 4, 5, 1, a, 5, b, 4, 0, c, 4)},
        {"ldc < n", myelin_gemm_bf16(N, N, 4, 4, 4, 1, a, 4, b, 4, 0, c, 3)},
        {"overflow m", myelin_gemm_bf16(N, N, SIZE_MAX / 2, 4, 4, 1, a, 4, b, 4, 0, c, 4)},
        {"overflow ld", myelin_gemm_bf16(N, N, 4, 4, 4, 1, a, SIZE_MAX / 3, b, 4, 0, c, 4)},
    };
    for (size_t i = 0; i < sizeof r / sizeof r[0]; i++)
        CHECK(r[i].st == MYELIN_EINVAL, "%s: status %d, want EINVAL", r[i].what, r[i].st);
    for (int i = 0; i < 64; i++)
        if (!CHECK(c[i] == 12345.678f, "C[%d] written by a failing call", i))
            break;
    myelin_gemm_bf16(N, N, 4, 4, 5, 1, a, 4, b, 4, 0, c, 4);
    CHECK(strstr(myelin_last_error(), "myelin_gemm_bf16") && strstr(myelin_last_error(), "lda"),
          "message names the function and lda: '%s'", myelin_last_error());
}
