/*
 * bench.h - the benchmark suite's C side. Each family file (gemm.c,
 * activations.c, fused.c, training.c, machine.c) appends cases to a list;
 * shim.cc registers every case with Google Benchmark and times case->run.
 *
 * A case owns a context built by setup (buffers, random data, a network) and
 * released by teardown, so the timed loop only calls run. Setup also checks
 * the case's result against a double-precision reference where that is
 * cheap, so a peer called with wrong arguments fails loudly instead of
 * looking fast.
 */
#ifndef MB_BENCH_H
#define MB_BENCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* How much of the suite to register. */
typedef enum { MB_SMOKE = 0, MB_QUICK, MB_DEFAULT, MB_FULL } mb_level;

typedef struct {
    mb_level level;
    int threads;          /* the thread count every library is set to (1 or 2) */
} mb_config;

typedef struct mb_case mb_case;
struct mb_case {
    char name[96];        /* "family/impl/tN/shape": the driver filters on it */
    char label[96];       /* shown beside the figures (e.g. "32x128x784 NT") */
    /* Returns 0, or non-zero with a message in err (the case is then reported
       as an error, never as a figure). */
    int (*setup)(const mb_case *c, void **ctx, char *err, size_t errlen);
    void (*run)(void *ctx);
    void (*teardown)(void *ctx);
    /* Optional: called after the timed loop; non-zero (with err) turns the
       figures into an error, e.g. when training stopped on a non-finite loss. */
    int (*verify)(void *ctx, char *err, size_t errlen);
    /* Work per run call; zero where it does not apply. */
    double flops, bytes, items;
    const char *impl;     /* "myelin-avx512", "openblas", "naive", ... */
    int threads;
    long p[8];            /* family parameters (shape, act, batch, ...) */
    const char *s;        /* a string parameter (ISA name) */
};

typedef struct {
    mb_case *v;
    size_t n, cap;
} mb_list;

mb_case *mb_add(mb_list *l);  /* a zeroed case appended to l (NULL if out of memory) */

/* Families. */
void mb_add_machine(mb_list *l, const mb_config *cfg);
void mb_add_gemm(mb_list *l, const mb_config *cfg);
void mb_add_activations(mb_list *l, const mb_config *cfg);
void mb_add_fused(mb_list *l, const mb_config *cfg);
void mb_add_training(mb_list *l, const mb_config *cfg);

/* Helpers shared by the families. */
void *mb_alloc(size_t bytes);           /* 64-byte aligned, zeroed; NULL on failure */
void mb_free(void *p);
void mb_fill_uniform(float *x, size_t n, uint64_t seed, float lo, float hi);
double mb_now(void);                    /* monotonic seconds */
/* Sets Myelin's thread count and, if isa is not NULL, its path. */
int mb_myelin_setup(const char *isa, int threads, char *err, size_t errlen);

/* The machine's own FMA peak (machine-avx512.c, compiled with AVX-512 flags):
   iters x 12 independent FMAs on width-float vectors (8 = ymm, 16 = zmm), so
   iters * 12 * width * 2 flops. Returns a checksum only to keep the work live.
   Call only when the CPU has the ISA. */
double mb_fma_loop(int width, long iters);

#ifdef __cplusplus
}
#endif
#endif
