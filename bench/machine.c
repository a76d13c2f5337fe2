/*
 * machine.c - what the report's header needs from the machine itself: the
 * FMA peak per vector width on 1 and 2 threads (independent chains), and the
 * two cores' core-to-core latency (a ping-pong on one cache line between two
 * pinned threads). The host sometimes places the two vCPUs on different
 * chiplets; the latency says which case a run was in.
 */
#include <omp.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "bench.h"

#define FMA_ITERS 2000000L  /* 768 MFLOP per thread with zmm: a few ms */

static int peak_setup(const mb_case *c, void **ctx, char *err, size_t errlen)
{
    int width = (int)c->p[0];
    if (width == 16 && !__builtin_cpu_supports("avx512f")) {
        snprintf(err, errlen, "this CPU has no AVX-512F");
        return 1;
    }
    if (width == 8 && !(__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))) {
        snprintf(err, errlen, "this CPU has no AVX2+FMA");
        return 1;
    }
    *ctx = (void *)c;
    return 0;
}

static volatile double peak_sink;

static void peak_run(void *ctx)
{
    const mb_case *c = ctx;
    int width = (int)c->p[0];
    #pragma omp parallel num_threads(c->threads)
    {
        double s = mb_fma_loop(width, c->p[1]);
        if (s < 0) peak_sink = s;
    }
}

static void nothing(void *ctx) { (void)ctx; }

/* ---- core-to-core latency */


typedef struct {
    _Alignas(64) atomic_int flag;
    char pad[60];
} pingline;

typedef struct {
    pingline *line;
    int cpu;
    int pings;
} pingarg;

static int pin_to(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return pthread_setaffinity_np(pthread_self(), sizeof set, &set);
}

static void *pong(void *arg)
{
    pingarg *a = arg;
    pin_to(a->cpu);
    for (int i = 0; i < a->pings; i++) {
        while (atomic_load_explicit(&a->line->flag, memory_order_acquire) != 2 * i + 1)
            ;
        atomic_store_explicit(&a->line->flag, 2 * i + 2, memory_order_release);
    }
    return NULL;
}

typedef struct {
    pingline line;
    cpu_set_t saved;
    int pings;
} c2c_ctx;

static int c2c_setup(const mb_case *c, void **ctx, char *err, size_t errlen)
{
    if (sysconf(_SC_NPROCESSORS_ONLN) < 2) {
        snprintf(err, errlen, "one CPU only: no core-to-core latency");
        return 1;
    }
    c2c_ctx *x = mb_alloc(sizeof *x);
    if (!x) { snprintf(err, errlen, "out of memory"); return 1; }
    pthread_getaffinity_np(pthread_self(), sizeof x->saved, &x->saved);
    x->pings = (int)c->p[0];
    *ctx = x;
    return 0;
}

/* One run: `pings` round trips, i.e. 2 * pings one-way hand-offs of the line.
   (With another process on the CPUs a hand-off can wait a whole time slice:
   the smoke level uses few.) */
static void c2c_run(void *ctx)
{
    c2c_ctx *x = ctx;
    atomic_store(&x->line.flag, 0);
    pingarg a = { &x->line, 1, x->pings };
    pthread_t t;
    pin_to(0);
    if (pthread_create(&t, NULL, pong, &a) != 0) return;
    for (int i = 0; i < x->pings; i++) {
        atomic_store_explicit(&x->line.flag, 2 * i + 1, memory_order_release);
        while (atomic_load_explicit(&x->line.flag, memory_order_acquire) != 2 * i + 2)
            ;
    }
    pthread_join(t, NULL);
}

static void c2c_teardown(void *ctx)
{
    c2c_ctx *x = ctx;
    pthread_setaffinity_np(pthread_self(), sizeof x->saved, &x->saved);
    mb_free(x);
}

void mb_add_machine(mb_list *l, const mb_config *cfg)
{
    static const struct { const char *name; int width; } w[] = { { "ymm", 8 }, { "zmm", 16 } };
    for (int t = 1; t <= 2; t++)
        for (size_t i = 0; i < sizeof w / sizeof w[0]; i++) {
            mb_case *c = mb_add(l);
            if (!c) return;
            snprintf(c->name, sizeof c->name, "machine/fma_peak/t%d/%s", t, w[i].name);
            snprintf(c->label, sizeof c->label, "12 chains x %d lanes", w[i].width);
            c->setup = peak_setup; c->run = peak_run; c->teardown = nothing;
            c->p[0] = w[i].width;
            c->threads = t;
            c->impl = "fma";
            c->p[1] = cfg->level == MB_SMOKE ? FMA_ITERS / 100 : FMA_ITERS;
            c->flops = (double)t * (double)c->p[1] * 12 * w[i].width * 2;
        }
    mb_case *c = mb_add(l);
    if (!c) return;
    snprintf(c->name, sizeof c->name, "machine/c2c_latency/t2/cpu0-cpu1");
    snprintf(c->label, sizeof c->label, "one-way hand-offs of a cache line");
    c->setup = c2c_setup; c->run = c2c_run; c->teardown = c2c_teardown;
    c->threads = 2;
    c->impl = "pingpong";
    c->p[0] = cfg->level == MB_SMOKE ? 200 : 20000;
    c->items = 2.0 * (double)c->p[0];
}
