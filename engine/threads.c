/* Thread count, topology, cache sizes and pinning. hwloc on x86-64; sysfs or
   defaults elsewhere (the aarch64 library needs nothing beyond libc/libm/libgomp). */
#include "internal.h"

#include <omp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(MYL_HAVE_HWLOC)
#include <hwloc.h>
static hwloc_topology_t topo;
static int topo_ok;
#endif

static pthread_once_t topo_once = PTHREAD_ONCE_INIT;
static myl_caches caches = {32 * 1024, 1024 * 1024, 8 * 1024 * 1024, 0};
static int n_cores = 1;
static atomic_int user_threads;   /* 0 = default */
static atomic_int pin_on;

static size_t sysfs_cache(int level)
{
    char path[128], buf[64];
    for (int idx = 0; idx < 8; idx++) {
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/level", idx);
        FILE *f = fopen(path, "r");
        if (!f)
            return 0;
        int lv = 0;
        if (fscanf(f, "%d", &lv) != 1)
            lv = 0;
        fclose(f);
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/type", idx);
        f = fopen(path, "r");
        if (!f)
            continue;
        if (!fgets(buf, sizeof buf, f))
            buf[0] = 0;
        fclose(f);
        if (lv != level || !strncmp(buf, "Instruction", 11))
            continue;
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", idx);
        f = fopen(path, "r");
        if (!f)
            continue;
        size_t kb = 0;
        char unit = 'K';
        if (fscanf(f, "%zu%c", &kb, &unit) < 1)
            kb = 0;
        fclose(f);
        return unit == 'M' ? kb << 20 : kb << 10;
    }
    return 0;
}

static void init_topology(void)
{
    long online = sysconf(_SC_NPROCESSORS_ONLN);
    n_cores = online > 0 ? (int)online : 1;
#if defined(MYL_HAVE_HWLOC)
    if (hwloc_topology_init(&topo) == 0 && hwloc_topology_load(topo) == 0) {
        topo_ok = 1;
        int cores = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
        if (cores > 0)
            n_cores = cores;
        hwloc_obj_type_t types[3] = {HWLOC_OBJ_L1CACHE, HWLOC_OBJ_L2CACHE, HWLOC_OBJ_L3CACHE};
        size_t *dst[3] = {&caches.l1d, &caches.l2, &caches.l3};
        for (int i = 0; i < 3; i++) {
            hwloc_obj_t o = hwloc_get_obj_by_type(topo, types[i], 0);
            if (o && o->attr && o->attr->cache.size > 0) {
                *dst[i] = (size_t)o->attr->cache.size;
                caches.from_system = 1;
            }
        }
    }
#endif
    if (!caches.from_system) {
        size_t l1 = sysfs_cache(1), l2 = sysfs_cache(2), l3 = sysfs_cache(3);
        if (l1) caches.l1d = l1;
        if (l2) caches.l2 = l2;
        if (l3) caches.l3 = l3;
        caches.from_system = l1 || l2;
    }
    const char *e = getenv("MYELIN_NUM_THREADS");
    if (e && *e) {
        char *end;
        long v = strtol(e, &end, 10);
        if (*end == 0 && v > 0 && v <= 4096)
            atomic_store(&user_threads, (int)v);
        else
            fprintf(stderr, "myelin: ignoring MYELIN_NUM_THREADS=%s (want a positive integer)\n", e);
    }
    e = getenv("MYELIN_PIN");
    if (e && !strcmp(e, "1"))
        atomic_store(&pin_on, 1);
}

const myl_caches *myl_cache_info(void)
{
    pthread_once(&topo_once, init_topology);
    return &caches;
}

int myl_physical_cores(void)
{
    pthread_once(&topo_once, init_topology);
    return n_cores;
}

/* Per calling thread, so a cap set by one training run never leaks into
   another thread's calls. */
static _Thread_local int thread_cap;

/* The count the user set (or one per physical core). */
static int configured_threads(void)
{
    pthread_once(&topo_once, init_topology);
    int t = atomic_load(&user_threads);
    return t > 0 ? t : n_cores;
}

int myl_threads(void)
{
    /* Inside any OpenMP region, even a one-thread one, a team of ours would
       be a nested team, and libgomp starts (clone3) and ends its threads at
       every fork: 128x64x784 from a one-thread region took 116 us on two
       threads against 78 us on one (47 us at top level). */
    if (omp_get_level() > 0)
        return 1;
    const int t = configured_threads();
    return thread_cap > 0 && thread_cap < t ? thread_cap : t;
}

int myl_cap_threads(int cap)
{
    int old = thread_cap;
    thread_cap = cap > 0 ? cap : 0;
    return old;
}

int myelin_set_num_threads(int n)
{
    if (n < 0 || n > 4096)
        return myl_fail(MYELIN_EINVAL, "myelin_set_num_threads: %d is not in 0..4096", n);
    pthread_once(&topo_once, init_topology);
    atomic_store(&user_threads, n);
    return MYELIN_OK;
}

/* Not the engine's internal cap: a training callback sees what the user set. */
int myelin_num_threads(void) { return configured_threads(); }

int myelin_set_pinning(int on)
{
    pthread_once(&topo_once, init_topology);
    atomic_store(&pin_on, on ? 1 : 0);
    return MYELIN_OK;
}

/* Called inside a parallel region by every thread: binds thread i to core
   i mod cores. Cheap when already bound (a thread-local flag). */
void myl_pin_team(void)
{
    if (!atomic_load(&pin_on))
        return;
#if defined(MYL_HAVE_HWLOC)
    static _Thread_local int bound = -1;
    int tid = omp_get_thread_num();
    if (!topo_ok || bound == tid)
        return;
    int cores = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_CORE);
    if (cores <= 0)
        return;
    hwloc_obj_t core = hwloc_get_obj_by_type(topo, HWLOC_OBJ_CORE, (unsigned)(tid % cores));
    if (core && hwloc_set_cpubind(topo, core->cpuset, HWLOC_CPUBIND_THREAD) == 0)
        bound = tid;
#endif
}

/* A text view of the topology for `myelin info`. */
int myl_topology_text(char *buf, size_t len)
{
    pthread_once(&topo_once, init_topology);
    size_t off = 0;
#define PUT(...) do { int w_ = snprintf(buf + off, off < len ? len - off : 0, __VA_ARGS__); \
                      if (w_ > 0) off += (size_t)w_; } while (0)
#if defined(MYL_HAVE_HWLOC)
    if (topo_ok) {
        int pkgs = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PACKAGE);
        int pus = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_PU);
        int numa = hwloc_get_nbobjs_by_type(topo, HWLOC_OBJ_NUMANODE);
        PUT("  topology (hwloc): %d package(s), %d NUMA node(s), %d core(s), %d hardware thread(s)\n",
            pkgs, numa, n_cores, pus);
        return MYELIN_OK;
    }
#endif
    PUT("  topology: %d core(s) (no hwloc: online CPUs)\n", n_cores);
#undef PUT
    return MYELIN_OK;
}
