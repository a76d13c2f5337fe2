/* Generic FP32 packing (see kernels.h for the layout). */
#ifndef MYL_PACK_H
#define MYL_PACK_H
#include <stddef.h>
void myl_pack_a_f32(size_t mr, int trans, size_t mc, size_t kc, const float *a, size_t lda, float *dst);
void myl_pack_b_f32(size_t nr, int trans, size_t kc, size_t nc, const float *b, size_t ldb, float *dst);
#endif
