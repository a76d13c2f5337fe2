/* myelin_info: what this build found on this CPU and what it chose. */
#include "internal.h"
#include "tuning.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const paths[] = {"scalar", "avx2", "avx512", "neon"};

static int compiled_in(const char *name)
{
    if (!strcmp(name, "scalar"))
        return 1;
#if defined(MYL_HAVE_AVX2)
    if (!strcmp(name, "avx2"))
        return 1;
#endif
#if defined(MYL_HAVE_AVX512)
    if (!strcmp(name, "avx512"))
        return 1;
#endif
#if defined(MYL_HAVE_NEON)
    if (!strcmp(name, "neon"))
        return 1;
#endif
    return 0;
}

int myelin_info(char *buf, size_t len)
{
    if (!buf || len == 0)
        return myl_fail(MYELIN_EINVAL, "myelin_info: buf is NULL or len is 0");
    myl_writer w = {buf, len, 0};
    buf[0] = 0;
    const myl_cpu *c = myl_cpu_info();
    myl_put(&w, "Myelin %s\n", myelin_version());
    myl_put(&w, "CPU: %s", c->brand[0] ? c->brand : "(no brand string)");
    myl_put(&w, " [vendor %s, family %d, model %d]\n", c->vendor[0] ? c->vendor : "?", c->family, c->model);
#if defined(__x86_64__)
    myl_put(&w, "  features:");
    struct { const char *n; int on; } f[] = {
        {"sse2", c->sse2}, {"avx", c->avx}, {"avx2", c->avx2}, {"fma", c->fma},
        {"avx512f", c->avx512f}, {"avx512dq", c->avx512dq}, {"avx512bw", c->avx512bw},
        {"avx512vl", c->avx512vl}, {"avx512_bf16", c->avx512bf16}, {"amx_bf16", c->amx_bf16},
        {"amx_tile", c->amx_tile}};
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++)
        if (f[i].on)
            myl_put(&w, " %s", f[i].n);
    myl_put(&w, "\n  OS saves: ymm %s, zmm %s, amx %s\n", c->os_ymm ? "yes" : "no", c->os_zmm ? "yes" : "no",
            c->os_amx ? "yes" : "no");
#elif defined(__aarch64__)
    myl_put(&w, "  features: neon%s\n", c->asimdhp ? " asimdhp" : "");
#endif
    const myl_caches *ca = myl_cache_info();
    myl_put(&w, "Caches (%s): L1d %zu KiB, L2 %zu KiB, L3 %zu KiB\n", ca->from_system ? "from the system" : "defaults",
            ca->l1d >> 10, ca->l2 >> 10, ca->l3 >> 10);
    myl_put(&w, "Threads: %d in use, %d physical core(s)\n", myl_threads(), myl_physical_cores());
    char topo[512];
    topo[0] = 0;
    myl_topology_text(topo, sizeof topo);
    myl_put(&w, "%s", topo);
    myl_put(&w, "ISA paths:\n");
    const char *active = myelin_isa();
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        const char *name = paths[i];
        const myl_kernels *k = myl_kernels_by_name(name);
        const char *state = k ? "runs here" : compiled_in(name) ? "not on this CPU" : "not in this build";
        myl_put(&w, "  %-7s %-17s %-9s", name, state, !strcmp(name, active) ? "(in use)" : "");
        if (k) {
            myl_gemm_plan pl, pn;
            myl_tuning_plan(k, MYL_CLASS_LARGE, &pl);
            myl_tuning_plan(k, MYL_CLASS_NN, &pn);
            myl_put(&w, "gemm %s, blocks MC %zu KC %zu NC %zu, packs %u-byte elements", pl.v->name, pl.mc, pl.kc,
                    pl.nc, k->pack_elem_size);
            if (pn.v != pl.v)
                myl_put(&w, "; below %.3g multiply-adds %s", myl_tuning_active()->isa[k->id].large_work, pn.v->name);
        }
        myl_put(&w, "\n");
    }
    char sig[512], path[1024];
    int from_env = 0;
    myl_tuning_signature(sig, sizeof sig);
    myl_put(&w, "Tuning record: '%s', %s\n  CPU signature: %s\n", myl_tuning_active()->name, myl_tuning_source(), sig);
    if (myl_tuning_default_path(path, sizeof path, &from_env))
        myl_put(&w, "  tuning file: %s%s\n", path, from_env ? " (MYELIN_TUNING)" : "");
    if (myl_tuning_warning()[0])
        myl_put(&w, "  warning: %s\n", myl_tuning_warning());
    const myl_kernels *in_use;
    if (myl_kernels_get(&in_use) != MYELIN_OK)
        myl_put(&w, "  no path in use: %s\n", myelin_last_error());
    /* BF16 GEMM: the hardware path follows the avx512 path (MYELIN_ISA=avx512bf16 insists on it). */
    const myl_kernels *bk;
    myl_put(&w, "BF16 GEMM: ");
    if (myl_bf16_kernels_get(&bk) == MYELIN_OK) {
        myl_blocking b;
        myl_gemm_blocking(bk, &b);
        myl_put(&w, "%s, tile %ux%u, blocks MC %zu KC %zu NC %zu, packs BF16 pairs (FP32 operands rounded)\n",
                myelin_bf16_path(), bk->mr, bk->nr, b.mc, b.kc, b.nc);
    } else
        myl_put(&w, "none (%s)\n", myelin_last_error());
    myl_put(&w, "  avx512bf16: %s\n", myelin_isa_supported("avx512bf16") ? "runs here"
#if defined(MYL_HAVE_AVX512BF16)
                                       : "not on this CPU"
#else
                                       : "not in this build"
#endif
    );
    myl_put(&w, "  amx: %s\n", myl_amx_state());
    if (w.off >= len)
        return myl_fail(MYELIN_EINVAL, "myelin_info: buffer of %zu bytes too small (needs %zu)", len, w.off + 1);
    return MYELIN_OK;
}
