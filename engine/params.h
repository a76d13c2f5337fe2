/* params.h - the one owner of the weights' layout (params.c).

   Training steps that give each of two threads its own units of layer 0
   keep layer 0's weights as two column blocks, so that each thread updates
   memory of its own (see params.c for why). Everything that reads or writes
   weights outside those steps goes through the calls below, which know both
   layouts; none of them converts behind a const pointer. */
#ifndef MYL_PARAMS_H
#define MYL_PARAMS_H

#include "network.h"

/* A column block of a layer's weights as stored: columns [col0, col0 + cols)
   of the fan_in x units matrix, row-major with row stride ld. */
typedef struct {
    const float *w;
    size_t col0, cols, ld;
} myl_param_view;

/* The blocks of layer l as stored now: 1 (the row-major matrix) or 2. */
int myl_params_views(const myelin_net *net, size_t l, myl_param_view v[2]);
/* Layer l's weights, row-major, into dst. */
void myl_params_read(const myelin_net *net, size_t l, float *dst);
/* Layer l's weights from the row-major src, wherever they live. */
void myl_params_write(myelin_net *net, size_t l, const float *src);
/* Sums of |w| and w^2 over the row-major elements [lo, hi) of layer l, in
   element order (the penalty). */
void myl_params_sums(const myelin_net *net, size_t l, size_t lo, size_t hi, double *s1, double *s2);

/* ---- for the training steps that own the blocks */
/* Makes room for blocks split at c0 (units [0, c0) and [c0, units)); the
   weights stay where they are. MYELIN_OK or MYELIN_ENOMEM. */
int myl_params_blocks_alloc(myelin_net *net, size_t c0);
/* Block h (0 or 1), writable; *ld its row stride, *col0 its first unit. */
float *myl_params_block(myelin_net *net, int h, size_t *ld, size_t *col0);
/* Marks the blocks live and returns whether they were already; when they
   were not, each thread then fills its block (myl_params_block_load)
   before anyone reads it. */
int myl_params_enter_blocks(myelin_net *net);
void myl_params_block_load(myelin_net *net, int h);
/* Block h into its columns of the row-major dst (fan_in x units). */
void myl_params_block_store(const myelin_net *net, int h, float *dst);
/* Back to the row-major matrix (training's end, replays, other steps). */
void myl_params_settle(myelin_net *net);
void myl_params_free(myelin_net *net);

#endif
