/* The threads of the BLAS front end: its own small pool instead of OpenMP teams.
 *
 * Why not Myelin's OpenMP teams: libgomp's idle workers spin (GOMP_SPINCOUNT,
 * fixed when libgomp loads, before this library can set it) and its barriers
 * spin without yielding. Preloaded into NumPy on a busy 2-CPU machine, the
 * thread that finished first spun on the CPU its partner needed (README:
 * two-thread products a hundred times slower than on one thread). Here the library's copy of Myelin runs single-threaded and
 * this pool splits C into row (or column) blocks, one product per thread, so
 * the bytes stay those of one thread (Myelin's products give every element
 * the same operations in the same K order whatever the block). Workers spin
 * about 20 us for the next product, then sleep on a condition variable; the
 * caller waits for its partners with pause, then sched_yield (a partner that
 * was preempted gets the CPU back).
 *
 * Called from inside an OpenMP region, or while another thread of the host is
 * using the pool, a product runs on the calling thread. */
#include "blas.h"

#include <myelin.h>

#include <omp.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <time.h>

#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
static void relax(void) { _mm_pause(); }
#elif defined(__aarch64__)
static void relax(void) { __asm__ __volatile__("yield"); }
#else
static void relax(void) {}
#endif

#define MAX_THREADS 64

typedef struct {
    int ta, tb;
    size_t m, n, k, lda, ldb, ldc;
    float alpha, beta;
    const float *a, *b;
    float *c;
    int split_m;          /* blocks of rows (else of columns) */
    size_t parts, unit;   /* parts blocks of whole units (rows or columns) */
} job;

static struct {
    pthread_mutex_t lock;
    pthread_cond_t wake;
    atomic_uint gen;      /* incremented per product; workers watch it */
    atomic_int pending;   /* workers still computing the current product */
    atomic_int busy;      /* a caller owns the pool */
    atomic_int status;    /* first failure of a worker */
    atomic_int sleepers;  /* workers asleep on wake (changed under lock) */
    int started;
    unsigned start_gen;   /* gen when the workers were created */
    job j;
} pool = {.lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER, .gen = 0};

static int nthreads = 1; /* set once by myl_blas_pool_init */

/* Part p of the product: a block of rows or columns of C. */
static int run_part(const job *j, size_t p)
{
    size_t total = j->split_m ? j->m : j->n;
    size_t units = (total + j->unit - 1) / j->unit;
    size_t b0 = p * units / j->parts * j->unit, b1 = (p + 1) * units / j->parts * j->unit;
    if (b1 > total)
        b1 = total;
    if (b0 >= b1)
        return MYELIN_OK;
    const size_t w = b1 - b0;
    if (j->split_m) /* rows of op(A) and of C */
        return myelin_sgemm(j->ta, j->tb, w, j->n, j->k, j->alpha, j->ta ? j->a + b0 : j->a + b0 * j->lda, j->lda,
                            j->b, j->ldb, j->beta, j->c + b0 * j->ldc, j->ldc);
    /* columns of op(B) and of C */
    return myelin_sgemm(j->ta, j->tb, j->m, w, j->k, j->alpha, j->a, j->lda, j->tb ? j->b + b0 * j->ldb : j->b + b0,
                        j->ldb, j->beta, j->c + b0, j->ldc);
}

static double now_us(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e6 + (double)t.tv_nsec * 1e-3;
}

static void *worker(void *arg)
{
    const size_t id = (size_t)(uintptr_t)arg;
    /* Not a fresh read of gen: the first product may already be posted. */
    unsigned seen = pool.start_gen;
    for (;;) {
        /* Spin briefly for the next product (a trainer's come every few us), then sleep. */
        unsigned g = atomic_load_explicit(&pool.gen, memory_order_acquire);
        if (g == seen) {
            double t0 = now_us();
            for (int i = 0; (g = atomic_load_explicit(&pool.gen, memory_order_acquire)) == seen; i++) {
                relax();
                if ((i & 255) == 255 && now_us() - t0 > 20.0)
                    break;
            }
            if (g == seen) {
                pthread_mutex_lock(&pool.lock);
                pool.sleepers++;
                while ((g = atomic_load(&pool.gen)) == seen)
                    pthread_cond_wait(&pool.wake, &pool.lock);
                pool.sleepers--;
                pthread_mutex_unlock(&pool.lock);
            }
        }
        seen = g;
        if (id < pool.j.parts) {
            int st = run_part(&pool.j, id);
            if (st) {
                int zero = 0;
                atomic_compare_exchange_strong(&pool.status, &zero, st);
            }
        }
        atomic_fetch_sub_explicit(&pool.pending, 1, memory_order_acq_rel);
    }
    return NULL;
}

/* A child of fork() has none of the parent's workers: start afresh. */
static void after_fork_child(void)
{
    pthread_mutex_init(&pool.lock, NULL);
    pthread_cond_init(&pool.wake, NULL);
    atomic_store(&pool.sleepers, 0);
    pool.started = 0;
    atomic_store(&pool.busy, 0);
    atomic_store(&pool.pending, 0);
}

void myl_blas_pool_init(int threads)
{
    nthreads = threads < 1 ? 1 : threads > MAX_THREADS ? MAX_THREADS : threads;
    pthread_atfork(NULL, NULL, after_fork_child);
}

/* Starts the workers on first use (a process that never multiplies big
   matrices never has them). Called with the pool owned. */
static int start_workers(void)
{
    if (pool.started)
        return pool.started;
    pthread_attr_t at;
    pthread_attr_init(&at);
    pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
    pool.start_gen = atomic_load(&pool.gen);
    int n = 1;
    for (; n < nthreads; n++) {
        pthread_t t;
        if (pthread_create(&t, &at, worker, (void *)(uintptr_t)n))
            break;
    }
    pthread_attr_destroy(&at);
    pool.started = n;
    return n;
}

int myl_blas_gemm_rm(int ta, int tb, size_t m, size_t n, size_t k, float alpha, const float *a, size_t lda,
                     const float *b, size_t ldb, float beta, float *c, size_t ldc)
{
    /* Myelin's rule for threads: a product under about a million
       multiply-adds (narrow ones counted 16 wide) runs on one. */
    double work = (double)m * (double)(n > 16 ? n : 16) * (double)(alpha == 0.0f ? 1 : k);
    int zero = 0;
    if (nthreads == 1 || work < 1e6 || omp_get_level() > 0 ||
        !atomic_compare_exchange_strong(&pool.busy, &zero, 1))
        return myelin_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    /* Waking a sleeping worker costs a futex wake and a trip through the
       scheduler (several us on these VMs), about what a split saves on a
       product under a few million multiply-adds (10-40 us on one thread):
       those run on the calling thread unless the workers are still awake. */
    if (work < 4e6 && atomic_load_explicit(&pool.sleepers, memory_order_relaxed) > 0) {
        atomic_store(&pool.busy, 0);
        return myelin_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }
    size_t threads = (size_t)start_workers();
    /* Rows in blocks of 24 (a multiple of every path's tile height), else
       columns in blocks of 32, whichever gives every thread a part. */
    job j = {ta, tb, m, n, k, lda, ldb, ldc, alpha, beta, a, b, c, 1, 1, 24};
    size_t rows = (m + 23) / 24, cols = (n + 31) / 32;
    j.split_m = rows >= threads || rows >= cols;
    if (!j.split_m)
        j.unit = 32;
    size_t units = j.split_m ? rows : cols;
    j.parts = units < threads ? units : threads;
    if (j.parts < 2) {
        atomic_store(&pool.busy, 0);
        return myelin_sgemm(ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }
    pool.j = j;
    atomic_store(&pool.status, 0);
    atomic_store(&pool.pending, (int)threads - 1);
    atomic_fetch_add_explicit(&pool.gen, 1, memory_order_release);
    pthread_mutex_lock(&pool.lock);
    if (pool.sleepers)
        pthread_cond_broadcast(&pool.wake);
    pthread_mutex_unlock(&pool.lock);
    int st = run_part(&j, 0);
    for (int i = 0; atomic_load_explicit(&pool.pending, memory_order_acquire) > 0; i++) {
        if (i < 2000)
            relax();
        else
            sched_yield();
    }
    int wst = atomic_load(&pool.status);
    atomic_store(&pool.busy, 0);
    return st ? st : wst;
}
