/* Once per process: the thread count, and the report of failures BLAS cannot return. */
#include "blas.h"

#include <myelin.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

/* MYELIN_NUM_THREADS is read by the library itself; when it is not set, a
   program run the usual BLAS way (OMP_NUM_THREADS=1 python ...) gets what it
   asked for. OMP_NUM_THREADS may be a list for nested levels: the first
   value is the outer team's. Neither: one thread per physical core (Myelin's
   default). */
static void init_once(void)
{
    const char *e = getenv("MYELIN_NUM_THREADS");
    if (e && *e)
        return;
    e = getenv("OMP_NUM_THREADS");
    if (!e || !*e)
        return;
    char *end;
    long v = strtol(e, &end, 10);
    if (end != e && (*end == 0 || *end == ',') && v > 0 && v <= 4096)
        myelin_set_num_threads((int)v);
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
