/* Row-count dispatch of the x86 row-major GEMM tiles (6x16, 4x24 AVX2;
   12x32 AVX-512): one switch case per row count r, each picking the tile
   instance for the number of column vectors (n over w-float vectors) and
   for A with contiguous rows (packed, or stored transposed: rsa != 1) or
   contiguous k (row-major A read in place). Macros, so every case stays a
   direct call of the file's always-inline `tile` with constant arguments;
   they expect the locals k, pa, rsa, csa, pb, ldpb, c, ldc, n, ep. */
#ifndef MYL_GEMM_ROWS_CASE_H
#define MYL_GEMM_ROWS_CASE_H

#define MYL_TILE_BY_A(r, nv)                                                  \
    (rsa != 1 ? tile(k, pa, rsa, 1, pb, ldpb, c, ldc, r, nv, 1, n, ep)        \
              : tile(k, pa, 1, csa, pb, ldpb, c, ldc, r, nv, 0, n, ep))

/* One column vector only. */
#define MYL_ROWS_CASE_NV1(r)                                                  \
    case r:                                                                   \
        MYL_TILE_BY_A(r, 1);                                                  \
        break;

/* One or two column vectors of w floats. */
#define MYL_ROWS_CASE_NV2(r, w)                                               \
    case r:                                                                   \
        if (n > (w))                                                          \
            MYL_TILE_BY_A(r, 2);                                              \
        else                                                                  \
            MYL_TILE_BY_A(r, 1);                                              \
        break;

/* One to three column vectors of w floats. */
#define MYL_ROWS_CASE_NV3(r, w)                                               \
    case r:                                                                   \
        if (n > 2 * (w))                                                      \
            MYL_TILE_BY_A(r, 3);                                              \
        else if (n > (w))                                                     \
            MYL_TILE_BY_A(r, 2);                                              \
        else                                                                  \
            MYL_TILE_BY_A(r, 1);                                              \
        break;

#endif
