/* CPU feature detection and the choice of kernel table.
   x86-64: cpuid for the feature bits, xgetbv for whether the OS saves the
   YMM/ZMM state (a CPU bit alone is not enough: without OS support the
   first AVX instruction faults). aarch64: NEON is baseline. The fastest
   path is chosen from the feature bits, never from a table of CPU models. */
#include "internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__)
#include <cpuid.h>
#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif
#if defined(__aarch64__)
#include <sys/auxv.h>
#endif

static myl_cpu cpu;
static pthread_once_t cpu_once = PTHREAD_ONCE_INIT;

#if defined(__x86_64__)
static uint64_t xgetbv0(void)
{
    uint32_t lo, hi;
    __asm__ volatile("xgetbv" : "=a"(lo), "=d"(hi) : "c"(0));
    return ((uint64_t)hi << 32) | lo;
}
#endif

static void detect(void)
{
#if defined(__x86_64__)
    unsigned a, b, c, d;
    if (__get_cpuid(0, &a, &b, &c, &d)) {
        unsigned max = a;
        memcpy(cpu.vendor + 0, &b, 4);
        memcpy(cpu.vendor + 4, &d, 4);
        memcpy(cpu.vendor + 8, &c, 4);
        cpu.vendor[12] = 0;
        __get_cpuid(1, &a, &b, &c, &d);
        unsigned fam = (a >> 8) & 0xf, mod = (a >> 4) & 0xf;
        if (fam == 0xf)
            fam += (a >> 20) & 0xff;
        if (fam == 0x6 || fam >= 0xf)
            mod |= ((a >> 16) & 0xf) << 4;
        cpu.family = (int)fam;
        cpu.model = (int)mod;
        cpu.sse2 = (d >> 26) & 1;
        cpu.fma = (c >> 12) & 1;
        int osxsave = (c >> 27) & 1;
        cpu.avx = (c >> 28) & 1;
        if (osxsave) {
            uint64_t xcr0 = xgetbv0();
            cpu.os_ymm = (xcr0 & 0x6) == 0x6;
            cpu.os_zmm = (xcr0 & 0xe6) == 0xe6;
            cpu.os_amx = (xcr0 & 0x60000) == 0x60000;
        }
        if (max >= 7) {
            __cpuid_count(7, 0, a, b, c, d);
            cpu.avx2 = (b >> 5) & 1;
            cpu.avx512f = (b >> 16) & 1;
            cpu.avx512dq = (b >> 17) & 1;
            cpu.avx512bw = (b >> 30) & 1;
            cpu.avx512vl = (b >> 31) & 1;
            cpu.amx_bf16 = (d >> 22) & 1;
            cpu.amx_tile = (d >> 24) & 1;
            __cpuid_count(7, 1, a, b, c, d);
            cpu.avx512bf16 = (a >> 5) & 1;
        }
        if (__get_cpuid(0x80000000, &a, &b, &c, &d) && a >= 0x80000004) {
            unsigned *p = (unsigned *)cpu.brand;
            for (unsigned i = 0; i < 3; i++)
                __get_cpuid(0x80000002 + i, &p[4 * i], &p[4 * i + 1], &p[4 * i + 2], &p[4 * i + 3]);
            cpu.brand[63] = 0;
            /* Some CPUs pad the brand string with spaces on either side. */
            size_t len = strlen(cpu.brand), start = 0;
            while (len > 0 && cpu.brand[len - 1] == ' ')
                cpu.brand[--len] = 0;
            while (cpu.brand[start] == ' ')
                start++;
            memmove(cpu.brand, cpu.brand + start, len - start + 1);
        }
    }
#elif defined(__aarch64__)
    cpu.neon = 1; /* Advanced SIMD is part of the AArch64 baseline. */
    unsigned long hw = getauxval(AT_HWCAP);
    cpu.asimdhp = (hw >> 10) & 1; /* HWCAP_ASIMDHP */
    snprintf(cpu.vendor, sizeof cpu.vendor, "arm64");
    /* No brand string on Arm: name the core by its MIDR fields (Linux). */
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (f) {
        char line[256];
        unsigned impl = 0, part = 0;
        while (fgets(line, sizeof line, f)) {
            if (sscanf(line, "CPU implementer : %x", &impl) == 1 && cpu.family == 0)
                cpu.family = (int)impl;
            if (sscanf(line, "CPU part : %x", &part) == 1 && cpu.model == 0)
                cpu.model = (int)part;
        }
        fclose(f);
        if (cpu.family || cpu.model)
            snprintf(cpu.brand, sizeof cpu.brand, "Arm core (implementer 0x%02x, part 0x%03x)", (unsigned)cpu.family,
                     (unsigned)cpu.model);
    }
#endif
}

const myl_cpu *myl_cpu_info(void)
{
    pthread_once(&cpu_once, detect);
    return &cpu;
}

static int can_run(const char *name)
{
    const myl_cpu *c = myl_cpu_info();
    if (!strcmp(name, "scalar"))
        return 1;
#if defined(MYL_HAVE_AVX2)
    if (!strcmp(name, "avx2"))
        return c->avx && c->avx2 && c->fma && c->os_ymm;
#endif
#if defined(MYL_HAVE_AVX512)
    if (!strcmp(name, "avx512"))
        return c->avx2 && c->fma && c->os_ymm && c->avx512f && c->avx512dq && c->avx512bw &&
               c->avx512vl && c->os_zmm;
#endif
#if defined(MYL_HAVE_AVX512) && defined(MYL_HAVE_AVX512BF16)
    if (!strcmp(name, "avx512bf16")) /* the avx512 path plus vdpbf16ps for the BF16 GEMM */
        return can_run("avx512") && c->avx512bf16;
#endif
#if defined(MYL_HAVE_NEON)
    if (!strcmp(name, "neon"))
        return c->neon;
#endif
    (void)c;
    return 0;
}

const myl_kernels *myl_kernels_by_name(const char *name)
{
    if (!name || !can_run(name))
        return NULL;
    if (!strcmp(name, "scalar"))
        return &myl_kernels_scalar;
#if defined(MYL_HAVE_AVX2)
    if (!strcmp(name, "avx2"))
        return &myl_kernels_avx2;
#endif
#if defined(MYL_HAVE_AVX512)
    if (!strcmp(name, "avx512") || !strcmp(name, "avx512bf16"))
        return &myl_kernels_avx512;
#endif
#if defined(MYL_HAVE_NEON)
    if (!strcmp(name, "neon"))
        return &myl_kernels_neon;
#endif
    return NULL;
}

int myelin_isa_supported(const char *name) { return myl_kernels_by_name(name) != NULL; }

/* Fastest first. AVX-512 is never slower than AVX2 where both run (Zen 4:
   equal peak; Zen 5 and Intel server cores with two 512-bit FMA units: twice). */
static const char *const preference[] = {"avx512", "avx512bf16", "avx2", "neon", "scalar"};

static const myl_kernels *fastest(void)
{
    for (size_t i = 0; i < sizeof preference / sizeof preference[0]; i++) {
        const myl_kernels *k = myl_kernels_by_name(preference[i]);
        if (k)
            return k;
    }
    return &myl_kernels_scalar;
}

static void supported_list(char *buf, size_t len)
{
    buf[0] = 0;
    for (size_t i = 0; i < sizeof preference / sizeof preference[0]; i++)
        if (myelin_isa_supported(preference[i])) {
            size_t l = strlen(buf);
            snprintf(buf + l, len - l, "%s%s", l ? ", " : "", preference[i]);
        }
}

static _Atomic(const myl_kernels *) active;
static pthread_once_t active_once = PTHREAD_ONCE_INIT;
static char env_error[256]; /* set when MYELIN_ISA names a path this CPU lacks */

static void init_active(void)
{
    const char *env = getenv("MYELIN_ISA");
    if (env && *env && strcmp(env, "auto") != 0) {
        const myl_kernels *k = myl_kernels_by_name(env);
        if (!k) {
            /* Neither a silent fallback (it would hide a wrong benchmark) nor
               a SIGILL: every call fails with this message until the
               program picks a path with myelin_set_isa. */
            char list[128];
            supported_list(list, sizeof list);
            snprintf(env_error, sizeof env_error,
                     "MYELIN_ISA=%s is not available on this CPU/build (supported: %s)%s", env, list,
                     !strcmp(env, "amx") ? "; this build has no AMX kernel" : "");
            fprintf(stderr, "myelin: %s\n", env_error);
            return;
        }
        atomic_store(&active, k);
        return;
    }
    atomic_store(&active, fastest());
}

const myl_kernels *myl_active(void)
{
    pthread_once(&active_once, init_active);
    return atomic_load_explicit(&active, memory_order_acquire);
}

int myl_kernels_get(const myl_kernels **out)
{
    const myl_kernels *k = myl_active();
    if (!k)
        return myl_fail(MYELIN_EUNSUPPORTED, "%s", env_error);
    *out = k;
    return MYELIN_OK;
}

const char *myelin_isa(void)
{
    const myl_kernels *k = myl_active();
    return k ? k->name : "none";
}

int myelin_set_isa(const char *name)
{
    if (!name)
        return myl_fail(MYELIN_EINVAL, "myelin_set_isa: name is NULL");
    myl_active();
    if (!strcmp(name, "auto")) {
        atomic_store(&active, fastest());
        return MYELIN_OK;
    }
    const myl_kernels *k = myl_kernels_by_name(name);
    if (!k) {
        char list[128];
        supported_list(list, sizeof list);
        return myl_fail(MYELIN_EUNSUPPORTED, "ISA path '%s' is not available on this CPU/build (supported: %s)%s",
                        name, list, !strcmp(name, "amx") ? "; this build has no AMX kernel" : "");
    }
    atomic_store(&active, k);
    return MYELIN_OK;
}

/* ------------------------------------------------------------------ BF16 */

static _Atomic int bf16_emulation;

void myl_bf16_force_emulation(int on) { atomic_store(&bf16_emulation, on != 0); }

int myl_bf16_kernels_get(const myl_kernels **out)
{
    const myl_kernels *k;
    int st = myl_kernels_get(&k);
    if (st)
        return st;
#if defined(MYL_HAVE_AVX512) && defined(MYL_HAVE_AVX512BF16)
    /* Only under the avx512 path: a forced avx2 or scalar path stands for a
       CPU without AVX-512, which gets the emulation. */
    static _Atomic int hw = -1; /* can_run once: this is on every call's path */
    if (hw < 0)
        hw = can_run("avx512bf16");
    if (hw && k == &myl_kernels_avx512 && !atomic_load_explicit(&bf16_emulation, memory_order_relaxed)) {
        *out = &myl_kernels_bf16_avx512;
        return MYELIN_OK;
    }
#endif
    (void)k;
    *out = &myl_kernels_bf16_scalar;
    return MYELIN_OK;
}

const char *myelin_bf16_path(void)
{
    const myl_kernels *k;
    if (myl_bf16_kernels_get(&k) != MYELIN_OK)
        return "none";
    return k->pairs && k != &myl_kernels_bf16_scalar ? k->name : "emulated";
}

/* AMX needs, besides the CPU bits and XCR0, Linux's per-process permission
   for the tile data (XFEATURE 18; without it the first tile instruction is
   SIGILL). Asked once per process; no kernel here uses the tiles yet. */
static const char *amx_text = "no";
static char amx_buf[96];
static pthread_once_t amx_once = PTHREAD_ONCE_INIT;

static void amx_request(void)
{
#if defined(__x86_64__) && defined(SYS_arch_prctl)
    const myl_cpu *c = myl_cpu_info();
    if (!c->amx_tile || !c->amx_bf16) {
        amx_text = "no (the CPU has no AMX-TILE/AMX-BF16)";
        return;
    }
    if (!c->os_amx) {
        amx_text = "no (the OS does not enable the tile state in XCR0)";
        return;
    }
    enum { ARCH_REQ_XCOMP_PERM = 0x1023, XFEATURE_XTILEDATA = 18 };
    if (syscall(SYS_arch_prctl, ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA) == 0)
        amx_text = "permission granted (no AMX kernel in this build)";
    else {
        snprintf(amx_buf, sizeof amx_buf, "permission refused (%s)", strerror(errno));
        amx_text = amx_buf;
    }
#else
    amx_text = "no (not x86-64 Linux)";
#endif
}

const char *myl_amx_state(void)
{
    pthread_once(&amx_once, amx_request);
    return amx_text;
}
