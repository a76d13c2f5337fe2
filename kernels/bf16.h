/* bf16.h - the BF16 GEMM's number format and packed layouts, shared by its
 * packers and micro-kernels (kernels/bf16-pack.c and the bf16-gemm-* kernels).
 *
 * Rounding: FP32 -> BF16 round-to-nearest-even on the bits (the top 16 bits
 * after adding 0x7fff plus the kept part's lowest bit), overflow to
 * infinity; a NaN stays a NaN (sign and top payload bits kept, quiet bit
 * set, so it never becomes inf); FP32 subnormals (|x| < 2^-126) become a
 * zero of their sign. That is exactly vcvtne2ps2bf16 (checked on all 2^32
 * inputs on Zen 5), so the AVX-512 packers convert 32 floats per
 * instruction; and the products read BF16 subnormals as zero anyway, so
 * the rounding never makes one. Every path rounds alike.
 *
 * Packed layouts (K zero-padded to an even count; a pair is one 32-bit word,
 * element 2q in its low half and 2q+1 in its high half, as vdpbf16ps and
 * AMX's TDPBF16PS read them):
 *   B: NR-column panels, pair q of column j at word q*NR + j; a panel holds
 *      (kc+1)/2 * NR words.
 *   A: MR-row panels of MR*S words, S = myl_bf16_a_stride(kc). A row-major
 *      op(A) is packed by rows, pair q of row i at word i*S + q, so packing
 *      is a straight conversion of each row (the kernel broadcasts one word
 *      per row and pair from MR row streams, as the FP32 kernels do from a
 *      row-major A read in place); an op(A) stored transposed is packed
 *      K-major, pair q of row i at word q*MR + i, where two stored rows give
 *      MR pairs at once. myl_bf16_a_steps gives the kernel's strides.
 * Padding (rows >= m, columns >= n, the odd K's last half) is zero, so no
 * product with it is NaN (0 * inf would be).
 *
 * Products (vdpbf16ps, measured on Zen 5 against the model below on 2e7
 * random pairs with subnormal, huge, inf and NaN operands: every bit equal):
 * per lane, t = FTZ(fma(a1, b1, DAZ(acc))), acc = FTZ(fma(a0, b0, t)), with
 * the BF16 inputs' subnormals read as zero, each product exact, the odd
 * element first, and each sum rounded to nearest even. The scalar path
 * computes exactly that (fmaf is one rounding), so both give the same bytes
 * for every result that is not NaN; a NaN comes out NaN on both, but which
 * NaN operand's sign and payload it carries depends on the fma instruction
 * form the compiler picks (an -O1 build differed from -O2).
 */
#ifndef MYL_BF16_H
#define MYL_BF16_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

static inline uint16_t myl_bf16_round(float x)
{
    uint32_t u;
    memcpy(&u, &x, sizeof u);
    if ((u & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((u >> 16) | 0x0040u); /* NaN: quiet, never rounded into inf */
    if ((u & 0x7f800000u) == 0)
        return (uint16_t)((u >> 16) & 0x8000u); /* subnormal: signed zero */
    return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

static inline float myl_bf16_to_f32(uint16_t h)
{
    uint32_t u = (uint32_t)h << 16;
    float x;
    memcpy(&x, &u, sizeof x);
    return x;
}

static inline uint32_t myl_bf16_pair(float lo, float hi)
{
    return (uint32_t)myl_bf16_round(lo) | (uint32_t)myl_bf16_round(hi) << 16;
}

/* Words between two rows of a packed A panel: (kc+1)/2, plus 16 (one cache
   line) when a row would be a multiple of 1 KiB, whose MR rows would share
   a few L1 sets (kc 1024 is the usual K block). */
static inline size_t myl_bf16_a_stride(size_t kc)
{
    size_t s = (kc + 1) / 2;
    return s && s % 256 == 0 ? s + 16 : s;
}

/* Strides in words of a packed A panel (the micro-kernel's rsa, csa). */
static inline void myl_bf16_a_steps(int trans, size_t mr, size_t kc, size_t *rsa, size_t *csa)
{
    *rsa = trans ? 1 : myl_bf16_a_stride(kc);
    *csa = trans ? mr : 1;
}

#endif
