/* math-consts.h - constants shared by the vector exp/sigmoid/tanh of every ISA
   (kernels/x86/math-avx2.h, math-avx512.h, kernels/arm/math-neon.h), so that the
   paths compute the same approximation. Polynomials: minimax fits on the stated
   interval with float coefficients (relative error of the polynomial alone
   1.9e-10 for exp, 8.8e-9 for tanh, far below float's 6e-8). */
#ifndef MYL_MATH_CONSTS_H
#define MYL_MATH_CONSTS_H

/* exp(x) < 2^-150 below XMIN (rounds to 0) and overflows above XMAX. */
#define MYL_EXP_XMIN (-104.0f)
#define MYL_EXP_XMAX 89.0f
/* exp(x) = 2^k * 2^(j/8) * exp(r): n = round(x * 8/ln2) = 8k + j, r = x - n ln2/8,
   |r| <= ln2/16. The 1.5*2^23 shifter rounds x*8/ln2 to an integer held in the
   low mantissa bits. ln2/8 is split Cody-Waite style: LN2_8_HI has 9 significant
   bits so n*LN2_8_HI is exact for |n| < 2^15. */
#define MYL_EXP_SHIFTER 0x1.8p23f
#define MYL_EXP_SHIFTER_BITS 0x4B400000
#define MYL_8_OVER_LN2 0x1.715476p+3f
#define MYL_LN2_8_HI 0x1.63p-4f
#define MYL_LN2_8_LO (-0x1.bd0106p-16f)
/* exp(r) - 1 ~ r + r^2 (C2 + C3 r + C4 r^2); relative error 1.9e-10 */
#define MYL_EXP_C2 0.5f
#define MYL_EXP_C3 0x1.555c76p-3f
#define MYL_EXP_C4 0x1.554842p-5f
/* 2^(j/8) = HI + LO, j = 0..7, repeated so a 16-entry lookup needs no mask. */
#define MYL_EXP2_8_HI                                                          \
    0x1p+0f, 0x1.172b84p+0f, 0x1.306fep+0f, 0x1.4bfdaep+0f,                    \
    0x1.6a09e6p+0f, 0x1.8ace54p+0f, 0x1.ae89fap+0f, 0x1.d5818ep+0f
#define MYL_EXP2_8_LO                                                          \
    0.0f, -0x1.c15742p-27f, 0x1.4636e2p-25f, -0x1.593abcp-25f,                 \
    0x1.9fcef4p-26f, 0x1.15506ep-27f, -0x1.a94b14p-26f, -0x1.822dbcp-27f

/* The AVX-512 variant: 16 table entries (one vpermps), |r| <= ln2/32 and a
   cubic: exp(r) - 1 ~ r + r^2 (C2 + C3 r), relative error 1.6e-9. */
#define MYL_16_OVER_LN2 0x1.715476p+4f
#define MYL_LN2_16_HI 0x1.63p-5f
#define MYL_LN2_16_LO (-0x1.bd0106p-17f)
#define MYL_EXP16_C2 0x1.00022p-1f
#define MYL_EXP16_C3 0x1.555644p-3f
#define MYL_EXP2_16_HI                                                         \
    0x1p+0f, 0x1.0b5586p+0f, 0x1.172b84p+0f, 0x1.2387a6p+0f,                   \
    0x1.306fep+0f, 0x1.3dea64p+0f, 0x1.4bfdaep+0f, 0x1.5ab07ep+0f,             \
    0x1.6a09e6p+0f, 0x1.7a1148p+0f, 0x1.8ace54p+0f, 0x1.9c4918p+0f,            \
    0x1.ae89fap+0f, 0x1.c199bep+0f, 0x1.d5818ep+0f, 0x1.ea4afap+0f
#define MYL_EXP2_16_LO                                                         \
    0.0f, 0x1.9f3122p-25f, -0x1.c15742p-27f, 0x1.ceac48p-25f,                  \
    0x1.4636e2p-25f, 0x1.824684p-25f, -0x1.593abcp-25f, -0x1.5bd5ecp-27f,      \
    0x1.9fcef4p-26f, -0x1.829fdp-25f, 0x1.15506ep-27f, 0x1.51f848p-27f,        \
    -0x1.a94b14p-26f, -0x1.3d56b2p-27f, -0x1.822dbcp-27f, 0x1.52486cp-27f

/* tanh(x) ~ x + x^3 (C3 + C5 x^2 + C7 x^4 + C9 x^6 + C11 x^8), |x| < XPOLY */
#define MYL_TANH_XPOLY 0.625f
#define MYL_TANH_C3 (-3.333328068e-01f)
#define MYL_TANH_C5 1.333144158e-01f
#define MYL_TANH_C7 (-5.373970419e-02f)
#define MYL_TANH_C9 2.063905448e-02f
#define MYL_TANH_C11 (-5.704952870e-03f)
/* tanh(x) rounds to 1 in float for |x| > 9.01; capping there keeps exp(2x) finite. */
#define MYL_TANH_XSAT 10.0f

#endif
