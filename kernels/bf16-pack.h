/* Portable BF16 pair packing (layouts in kernels/bf16.h). */
#ifndef MYL_BF16_PACK_H
#define MYL_BF16_PACK_H
#include <stddef.h>
void myl_bf16_pack_a(size_t mr, int trans, size_t mc, size_t kc, const float *a, size_t lda, void *dst);
void myl_bf16_pack_b(size_t nr, int trans, size_t kc, size_t nc, const float *b, size_t ldb, void *dst);
#endif
