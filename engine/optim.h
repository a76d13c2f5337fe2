/* optim.h - optimiser updates (optim.c). */
#ifndef MYL_OPTIM_H
#define MYL_OPTIM_H

#include "internal.h"

typedef struct {
    myelin_optimizer opt;
    float momentum, beta1, beta2, rho, eps, l1, l2;
} myl_opt_cfg;

/* One step on n parameters w with gradient g (g + the L1/L2 penalty gradient
   when penalise): s1, s2 are the optimiser's state vectors (zeroed before the
   first step; NULL when unused), t the 1-based step (Adam). */
void myl_opt_update(const myl_opt_cfg *c, size_t n, float *w, float *g, float *s1, float *s2, float lr,
                    uint64_t t, int penalise, int threads);
/* How many state vectors an optimiser keeps per parameter: 0, 1 or 2. */
int myl_opt_states(myelin_optimizer opt);

#endif
