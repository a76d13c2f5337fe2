/* Once per process: the thread count, and the report of failures BLAS cannot return. */
#include "blas.h"

#include <myelin.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

/* The pool's size: MYELIN_NUM_THREADS (read by the library itself), else
   OMP_NUM_THREADS, so that a program run the usual BLAS way
   (OMP_NUM_THREADS=1 python ...) gets what it asked for (a list for nested
   levels: the first value is the outer one), else one thread per physical
   core (Myelin's default). The library's own copy of Myelin then runs
   single-threaded: the pool splits the products (blas/pool.c). */
static void init_once(void)
{
    int threads = myelin_num_threads();
    const char *e = getenv("MYELIN_NUM_THREADS");
    const char *o = getenv("OMP_NUM_THREADS");
    if (!(e && *e) && o && *o) {
        char *end;
        long v = strtol(o, &end, 10);
        if (end != o && (*end == 0 || *end == ',') && v > 0 && v <= 4096)
            threads = (int)v;
    }
    myelin_set_num_threads(1);
    myl_blas_pool_init(threads);
}

static pthread_once_t once = PTHREAD_ONCE_INIT;

/* Lazily, not in a constructor: a preloaded library would otherwise load
   hwloc's topology in every process started, BLAS user or not. */
void myl_blas_init(void) { pthread_once(&once, init_once); }

void myl_blas_report_failure(int status)
{
    static atomic_int reported_nomem, reported_other;
    atomic_int *flag = status == MYELIN_ENOMEM ? &reported_nomem : &reported_other;
    if (atomic_exchange(flag, 1) == 0)
        fprintf(stderr, "myelin_blas: sgemm not computed: %s (%s)\n", myelin_strerror(status),
                myelin_last_error());
}
