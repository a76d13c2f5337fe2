/* The tuning record (see tuning.h): built-in records per CPU family, the
   choice at start-up, the resolved plans the GEMM driver reads per call, and
   the tuning file (text, "key value" lines; written by `myelin tune`). */
#include "internal.h"
#include "tuning.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The compiled-in tables by path id (NULL where not built), for tuning-file.c too. */
const myl_kernels *myl_tuning_table(unsigned id)
{
    switch (id) {
    case MYL_ISA_SCALAR: return &myl_kernels_scalar;
#if defined(MYL_HAVE_AVX2)
    case MYL_ISA_AVX2: return &myl_kernels_avx2;
#endif
#if defined(MYL_HAVE_AVX512)
    case MYL_ISA_AVX512: return &myl_kernels_avx512;
#endif
#if defined(MYL_HAVE_NEON)
    case MYL_ISA_NEON: return &myl_kernels_neon;
#endif
    default: return NULL;
    }
}

/* ------------------------------------------------------------ built-in records */

/* The values measured on the Zen 5 VM before the record existed (the
   reasons are in the commit messages and in engine/gemm.c's comments). */
static const myl_isa_tuning base_isa = {
    .variant = {0, 0},
    .large_work = 1e8,
    .mc = 0, .nc = 0,
    /* MC: A block half of L2. NC: B block a quarter of the shared L3. */
    .mc_l2 = 0.5, .nc_l3 = 0.25,
    .mc_max = 2048, .nc_max = 8192,
    .mr_narrow = 0,
    /* Rows along the lanes: from 9 rows; n <= 12, or <= 10 with row-major
       A (its transposition loses at 12; Zen 5, 256 x n x 64). */
    .lanes_min_rows = 8, .lanes_nmax = 12, .lanes_rowmajor_nmax = 10,
    .direct_b_mc = 4.0, .alias_ld = 512,
    .bt_pack_b = 3.0, .bt_pack_a = 3.0, .bt_epi = 4.0,
    .pack_cost = 12.0,
    /* Waking a team costs about a million FMAs on one core (Zen 5, 2 threads). */
    .team_work = 1e6, .team_min_cols = 16,
};

static void base_record(myl_tuning *t, const char *name)
{
    memset(t, 0, sizeof *t);
    snprintf(t->name, sizeof t->name, "%s", name);
    for (int i = 0; i < MYL_ISA_COUNT; i++)
        t->isa[i] = base_isa;
    t->sched = (myl_sched_tuning){.overlap_work = 3e6, .min_team_work = 5e6, .solo_work = 2e6,
                                  .min_team_elements = 32768};
}

static unsigned variant_index(unsigned id, const char *name)
{
    const myl_kernels *k = myl_tuning_table(id);
    for (unsigned i = 0; k && i < k->n_variants; i++)
        if (!strcmp(k->variants[i].name, name))
            return i;
    return 0;
}

int myl_tuning_named(const char *name, myl_tuning *t)
{
    if (!strcmp(name, "zen5") || !strcmp(name, "default") || !strcmp(name, "avx2") || !strcmp(name, "neon")) {
        /* Zen 5: two 512-bit FMA pipes, L1d 48 KiB, L2 1 MiB: every value
           above was measured there. AVX2-only and NEON: no measurement says
           otherwise; the blocks follow their caches. */
        base_record(t, name);
        return 1;
    }
    if (!strcmp(name, "zen4")) {
        /* Zen 4 (unmeasured by this record's author): 512-bit FMAs run
           double-pumped, peak equal to AVX2's; L1d 32 KiB makes KC 512 from
           the same rule. The 12x32 tile's 24 accumulators cover its latency. */
        base_record(t, name);
        return 1;
    }
    if (!strcmp(name, "intel-avx512")) {
        /* Intel Xeon with two 512-bit FMA units, L1d 48 KiB, L2 2 MiB. By
           design, not measured (no Intel machine at hand): the 32x12 tile
           with A along the lanes and B broadcast from memory at a base
           plus displacement (no index register), the form Intel's cores
           keep micro-fused (the 12x32 tile's in-place A uses indexed
           broadcasts, un-laminated there), as BLIS's Skylake-X kernel. MC
           from half the 2 MiB L2 (1360 rows at KC 768). */
        base_record(t, name);
        myl_isa_tuning *x = &t->isa[MYL_ISA_AVX512];
        unsigned v = variant_index(MYL_ISA_AVX512, "f32-gemm-32x12-avx512");
        x->variant[MYL_CLASS_LARGE] = x->variant[MYL_CLASS_NN] = v;
        return 1;
    }
    return 0;
}

void myl_tuning_builtin(myl_tuning *t, char *why, size_t len)
{
    const myl_cpu *c = myl_cpu_info();
    const char *name = "default";
    int amd = !strcmp(c->vendor, "AuthenticAMD") || !strcmp(c->vendor, "HygonGenuine");
    int intel = !strcmp(c->vendor, "GenuineIntel");
    int avx512 = c->avx512f && c->os_zmm;
    if (c->neon)
        name = "neon";
    else if (amd && avx512 && c->family >= 0x1a)
        name = "zen5";
    else if (amd && avx512 && c->family == 0x19)
        name = "zen4";
    else if (intel && avx512)
        name = "intel-avx512";
    else if (c->avx2 && c->fma && c->os_ymm)
        name = "avx2";
    myl_tuning_named(name, t);
    if (why)
        snprintf(why, len, "built-in '%s' (cpuid: %s, family 0x%x%s%s)", name, c->vendor[0] ? c->vendor : "no vendor",
                 (unsigned)c->family, avx512 ? ", AVX-512" : c->avx2 ? ", AVX2" : "", c->neon ? ", NEON" : "");
}

/* ------------------------------------------------------------ the record in use */

typedef struct installed {
    myl_tuning t;
    myl_gemm_plan plan[MYL_ISA_COUNT][MYL_CLASS_COUNT];
    char source[1200];
    struct installed *prev; /* kept for products in flight; freed at exit */
} installed;

static _Atomic(installed *) cur;
static pthread_once_t cur_once = PTHREAD_ONCE_INIT;
static pthread_mutex_t install_lock = PTHREAD_MUTEX_INITIALIZER;
static char warning[1600];

static size_t clamp_sz(size_t v, size_t lo, size_t hi) { return v < lo ? lo : v > hi ? hi : v; }

/* KC: the path's B micro-panel (its first variant's NR) twice the size of
   L1. The kernel keeps its speed with B streaming from L2 (Zen 5, 12x32
   tile on L2-resident panels: 197 GFLOP/s at KC 344, 204 at 768), and
   fewer K blocks mean fewer passes over C and over the packed B block. KC
   384 -> 768, 1 thread: 2048^3 164 -> 183 GFLOP/s with malloc'd operands,
   about +5% with 64-byte aligned ones. Not a record field: the K blocks
   are where each sum is rounded into C, so KC must not vary with the
   record or the variant (the same bytes under any record). */
size_t myl_gemm_kc(const myl_kernels *kt)
{
    const myl_caches *ca = myl_cache_info();
    size_t kc = 2 * ca->l1d / (kt->nr * kt->pack_elem_size);
    return clamp_sz(kc / 16 * 16, 64, 1024);
}

static void resolve(installed *in)
{
    const myl_caches *ca = myl_cache_info();
    for (unsigned id = 0; id < MYL_ISA_COUNT; id++) {
        myl_isa_tuning *x = &in->t.isa[id];
        const myl_kernels *k = myl_tuning_table(id);
        for (int cls = 0; cls < MYL_CLASS_COUNT; cls++) {
            myl_gemm_plan *p = &in->plan[id][cls];
            if (!k) {
                memset(p, 0, sizeof *p);
                continue;
            }
            if (x->variant[cls] >= k->n_variants)
                x->variant[cls] = 0;
            const myl_gemm_variant *v = &k->variants[x->variant[cls]];
            size_t es = k->pack_elem_size, mr = v->mr, nr = v->nr, kc = myl_gemm_kc(k);
            size_t mc = x->mc ? x->mc : (size_t)(x->mc_l2 * (double)ca->l2 / (double)(kc * es));
            mc = mc > x->mc_max && x->mc_max ? x->mc_max : mc;
            mc = mc / mr * mr < mr ? mr : mc / mr * mr;
            size_t nc = x->nc ? x->nc : (size_t)(x->nc_l3 * (double)ca->l3 / (double)(kc * es));
            nc = nc > x->nc_max && x->nc_max ? x->nc_max : nc;
            nc = nc / nr * nr < 4 * nr && !x->nc ? 4 * nr : nc / nr * nr < nr ? nr : nc / nr * nr;
            *p = (myl_gemm_plan){v, mc, kc, nc};
        }
        if (k && k->gemm_ukr_lanes) {
            if (x->lanes_nmax > k->nr_lanes)
                x->lanes_nmax = k->nr_lanes;
            if (x->lanes_rowmajor_nmax > k->nr_lanes)
                x->lanes_rowmajor_nmax = k->nr_lanes;
        } else {
            x->lanes_nmax = x->lanes_rowmajor_nmax = 0;
        }
        if (x->team_min_cols == 0)
            x->team_min_cols = 1;
    }
}

static installed boot; /* the first record: static, so start-up cannot fail */

static void install(const myl_tuning *t, const char *source)
{
    installed *in = atomic_load(&cur) ? calloc(1, sizeof *in) : &boot;
    if (!in)
        return; /* the previous record stays */
    in->t = *t;
    snprintf(in->source, sizeof in->source, "%s", source);
    resolve(in);
    pthread_mutex_lock(&install_lock);
    in->prev = atomic_load(&cur);
    atomic_store_explicit(&cur, in, memory_order_release);
    pthread_mutex_unlock(&install_lock);
}

__attribute__((destructor)) static void free_records(void)
{
    installed *in = atomic_exchange(&cur, NULL);
    while (in) {
        installed *p = in->prev;
        if (in != &boot)
            free(in);
        in = p;
    }
}

/* Default path of the tuning file: $MYELIN_TUNING, else
   $XDG_CACHE_HOME/myelin/ (or ~/.cache/myelin/) tuning-<hash of the signature>. */
int myl_tuning_default_path(char *buf, size_t len, int *from_env)
{
    const char *env = getenv("MYELIN_TUNING");
    *from_env = env && *env;
    if (*from_env)
        return snprintf(buf, len, "%s", env) < (int)len;
    char sig[512];
    myl_tuning_signature(sig, sizeof sig);
    uint64_t h = 1469598103934665603ull;
    for (const char *s = sig; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ull;
    const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");
    if (xdg && *xdg == '/')
        return snprintf(buf, len, "%s/myelin/tuning-%016llx", xdg, (unsigned long long)h) < (int)len;
    if (home && *home)
        return snprintf(buf, len, "%s/.cache/myelin/tuning-%016llx", home, (unsigned long long)h) < (int)len;
    return 0;
}

/* Reads a whole small file; NULL with errno on failure. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 16, n = 0;
    char *b = malloc(cap + 1);
    if (b)
        n = fread(b, 1, cap + 1, f);
    fclose(f);
    if (b && n > cap) { /* larger than any record */
        free(b);
        errno = EFBIG;
        return NULL;
    }
    *len = n;
    return b;
}

static void init_cur(void)
{
    myl_tuning t;
    char why[200], path[1024], src[1200];
    myl_tuning_builtin(&t, why, sizeof why);
    snprintf(src, sizeof src, "%s", why);
    int from_env = 0;
    if (myl_tuning_default_path(path, sizeof path, &from_env)) {
        size_t len = 0;
        char *text = slurp(path, &len);
        if (!text) {
            if (from_env || errno != ENOENT)
                snprintf(warning, sizeof warning, "tuning file %s not read (%s); using the built-in record", path,
                         strerror(errno));
        } else {
            myl_tuning ft;
            char sig[512], mine[512];
            myl_tuning_signature(mine, sizeof mine);
            int st = myl_tuning_parse(text, len, &ft, sig, sizeof sig);
            if (st != MYELIN_OK) {
                snprintf(warning, sizeof warning, "tuning file %s rejected: %s; using the built-in record", path,
                         myelin_last_error());
                fprintf(stderr, "myelin: %s\n", warning);
                myl_clear_error();
            } else if (strcmp(sig, mine) != 0) {
                snprintf(warning, sizeof warning,
                         "tuning file %s ignored: measured on another CPU ('%.120s'); this is '%.120s'", path, sig,
                         mine);
            } else {
                t = ft;
                snprintf(src, sizeof src, "file %s (its signature matches this CPU)", path);
            }
            free(text);
        }
    }
    install(&t, src);
}

static installed *get(void)
{
    pthread_once(&cur_once, init_cur);
    installed *in = atomic_load_explicit(&cur, memory_order_acquire);
    return in ? in : &boot; /* NULL only after the exit destructor */
}

const myl_tuning *myl_tuning_active(void) { return &get()->t; }
const char *myl_tuning_source(void) { return get()->source; }
const char *myl_tuning_warning(void)
{
    get();
    return warning;
}

void myl_tuning_plan(const myl_kernels *kt, int cls, myl_gemm_plan *out) { *out = get()->plan[kt->id][cls]; }

const myl_isa_tuning *myl_tuning_path(const myl_kernels *kt, const myl_gemm_plan **plans)
{
    installed *in = get();
    *plans = in->plan[kt->id];
    return &in->t.isa[kt->id];
}

void myl_tuning_use(const myl_tuning *t, const char *source)
{
    pthread_once(&cur_once, init_cur);
    myl_tuning b;
    char why[200];
    if (!t) {
        myl_tuning_builtin(&b, why, sizeof why);
        t = &b;
        source = why;
    }
    install(t, source ? source : "set by the program");
}
