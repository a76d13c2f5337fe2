/* tuning.h - the tuning record: every choice that affects speed and nothing
 * else, per CPU family (BLIS's per-CPU configuration, FFTW's wisdom).
 *
 * One record is in use at a time: a built-in one chosen at start-up from the
 * cpuid vendor, family and feature bits (never from model numbers alone),
 * or one that `myelin tune` measured on this machine and wrote to a file
 * keyed by the CPU's signature. Any record gives the same bytes: every
 * variant of a path computes each element with the same operations in the
 * same K order, and blocks, thresholds and thread counts only move where
 * and when an element is computed (tests/kernels/test_tuning.c). */
#ifndef MYL_TUNING_H
#define MYL_TUNING_H

#include "kernels.h"

#include <stddef.h>

/* Shape classes with a micro-kernel variant of their own. */
enum { MYL_CLASS_LARGE = 0, /* m*n*k >= large_work: packed blocks, the long K loops */
       MYL_CLASS_NN,        /* smaller: the neural-net products, operands mostly read in place */
       MYL_CLASS_COUNT };

/* The choices for one ISA path. */
typedef struct {
    unsigned variant[MYL_CLASS_COUNT]; /* index into the path's myl_kernels.variants */
    double large_work;                 /* m*n*k from which a product is of the large class */
    /* Blocking of M and N: fixed sizes where non-zero, else derived from the caches.
       (KC is not here: it decides where each element's K sum is rounded into C, so it
       would change the bytes; it is the path's own, from L1: myl_gemm_kc.) */
    size_t mc, nc;
    double mc_l2;                      /* MC such that the packed MC x KC A block is mc_l2 x L2 */
    double nc_l3;                      /* NC such that the packed KC x NC B block is nc_l3 x L3 */
    size_t mc_max, nc_max;
    /* Narrow products (n <= NR/2, A read in place): rows per kernel call (0: the variant's most). */
    unsigned mr_narrow;
    /* Rows along the vector lanes (the path's gemm_ukr_lanes): used for calls of more than
       lanes_min_rows rows and n <= lanes_nmax (A packed or stored transposed) or
       n <= lanes_rowmajor_nmax (A row-major, transposed in L1); 0 turns each off. */
    unsigned lanes_min_rows, lanes_nmax, lanes_rowmajor_nmax;
    /* In place or packed: B row-major is read in place when m <= direct_b_mc x MC; operands
       whose leading dimension is a multiple of alias_ld floats are packed (L1 set aliasing). */
    double direct_b_mc;
    unsigned alias_ld;
    /* The B-transposed small-M kernel runs when bt_pack_b*n*k > bt_pack_a*m*k + bt_epi*m*n
       (costs per float in FMA-cycle units); bt_pack_b == 0 turns it off. */
    double bt_pack_b, bt_pack_a, bt_epi;
    double pack_cost;                  /* the thread grid's cost of a packed float, in FMA lanes */
    /* Threads: a product stays on one thread below team_work multiply-adds, narrow
       products counted team_min_cols wide. */
    double team_work;
    unsigned team_min_cols;
} myl_isa_tuning;

/* The engine's schedule thresholds, in multiply-adds of one product of a
   layer (rows x units x fan_in, narrow layers counted 16 units wide). Part of the record:
   a threshold only chooses which schedule and how many threads run, never
   the order of a sum (engine/schedule.c), so any values give the same bytes. */
typedef struct {
    /* a step whose forward products together do less runs on one thread:
       the threads' hand-offs would cost more than the second core gives */
    double min_team_work;
    /* a layer whose products do less runs them on one thread inside a step
       (its operands sit half in the other core's cache) */
    double solo_work;
    /* layers after the first that each do less run on one thread while
       another gathers the next minibatch; a layer 1 that does more, with
       such layers after it, is shared by unit pairs (the "pair" table) */
    double overlap_work;
    /* element-wise work (minibatch gathers, optimiser updates, masks,
       activation backward, checkpoint copies) on fewer elements stays on
       one thread: entering a parallel region costs microseconds */
    double min_team_elements;
} myl_sched_tuning;

typedef struct {
    char name[32];                     /* "zen5", "intel-avx512", "tuned", ... */
    myl_isa_tuning isa[MYL_ISA_COUNT]; /* by myl_kernels.id */
    myl_sched_tuning sched;           /* the training schedules' thresholds */
} myl_tuning;

/* A product's resolved choices: the variant and blocks of one class. */
typedef struct {
    const myl_gemm_variant *v;
    size_t mc, kc, nc;
} myl_gemm_plan;

/* The compiled-in kernel table of a path id (MYL_ISA_*), NULL where not built. */
const myl_kernels *myl_tuning_table(unsigned id);
/* The K block of a path on this machine: the same under every record. */
size_t myl_gemm_kc(const myl_kernels *kt);
/* The per-call view of the driver: the path's choices and its class plans. */
const myl_isa_tuning *myl_tuning_path(const myl_kernels *kt, const myl_gemm_plan **plans);
/* The tuning file this process reads: $MYELIN_TUNING, else one keyed by the
   CPU signature under $XDG_CACHE_HOME/myelin/ (~/.cache/myelin/); 0 if none. */
int myl_tuning_default_path(char *buf, size_t len, int *from_env);
/* The record in use (never NULL), chosen or loaded on first use. */
const myl_tuning *myl_tuning_active(void);
/* The variant and blocks for a class of a path under the record in use
   (cached; myl_gemm_force_blocking overrides the blocks). */
void myl_tuning_plan(const myl_kernels *kt, int cls, myl_gemm_plan *out);
/* Install a record (NULL: the built-in one for this CPU); invalid variant
   indexes and sizes are clamped. Not while products run on other threads. */
void myl_tuning_use(const myl_tuning *t, const char *source);
/* The built-in record for this CPU, and its reason ("AMD family 0x1a with AVX-512"). */
void myl_tuning_builtin(myl_tuning *out, char *why, size_t len);
/* Built-in records by name (zen4, zen5, intel-avx512, avx2, neon, default): 0 if unknown. */
int myl_tuning_named(const char *name, myl_tuning *out);
/* The tuning file: text, one "key value" per line (tuning.c). parse returns
   MYELIN_OK, or MYELIN_EFORMAT with a message naming the line. The
   signature is checked by the caller (myl_tuning_signature). */
int myl_tuning_parse(const char *text, size_t len, myl_tuning *out, char *sig, size_t siglen);
int myl_tuning_format(const myl_tuning *t, const char *sig, char *buf, size_t len);
void myl_tuning_signature(char *buf, size_t len);
/* Where the record in use came from, and a warning about a file not used ("" if none). */
const char *myl_tuning_source(void);
const char *myl_tuning_warning(void);

#endif
