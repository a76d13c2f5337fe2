/* CPU dispatch, thread settings and myelin_info. */
#include "../harness.h"
#include "internal.h"
#include "myelin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#if !defined(__aarch64__)
#include <sys/wait.h>
#endif

static const char *const order[] = {"avx512", "avx2", "neon", "scalar"};

TEST(dispatch_paths)
{
    CHECK(myelin_isa_supported("scalar"), "scalar must always run");
    CHECK(!myelin_isa_supported("bogus") && !myelin_isa_supported(NULL) && !myelin_isa_supported(""),
          "unknown names are unsupported");
    const char *before = myelin_isa();
    CHECK(myelin_set_isa("avx1024") == MYELIN_EUNSUPPORTED, "unknown path: EUNSUPPORTED");
    CHECK(strstr(myelin_last_error(), "supported: ") && strstr(myelin_last_error(), "scalar"),
          "the message lists what runs: '%s'", myelin_last_error());
    CHECK(!strcmp(myelin_isa(), before), "a failed set_isa keeps the path (%s -> %s)", before, myelin_isa());
    CHECK(myelin_set_isa(NULL) == MYELIN_EINVAL, "NULL name: EINVAL");
    /* Every supported path can be selected; the unsupported ones refuse. */
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        int st = myelin_set_isa(order[i]);
        if (myelin_isa_supported(order[i]))
            CHECK(st == MYELIN_OK && !strcmp(myelin_isa(), order[i]), "select %s: %d, in use %s", order[i], st,
                  myelin_isa());
        else
            CHECK(st == MYELIN_EUNSUPPORTED, "%s is not supported here yet set_isa gave %d", order[i], st);
    }
    /* auto = the first supported path in order of preference. */
    CHECK(myelin_set_isa("auto") == MYELIN_OK, "auto");
    const char *want = "scalar";
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++)
        if (myelin_isa_supported(order[i])) {
            want = order[i];
            break;
        }
    CHECK(!strcmp(myelin_isa(), want), "auto picked %s, want %s", myelin_isa(), want);
    myelin_set_isa(before);
}

/* The feature bits and the paths agree (a path never runs without the CPU
   bits and the OS register state it needs). */
TEST(dispatch_features)
{
    const myl_cpu *c = myl_cpu_info();
#if defined(__x86_64__)
    if (myelin_isa_supported("avx2"))
        CHECK(c->avx2 && c->fma && c->os_ymm, "avx2 path without avx2/fma/ymm state");
    if (myelin_isa_supported("avx512"))
        CHECK(c->avx512f && c->avx512bw && c->avx512vl && c->avx512dq && c->os_zmm,
              "avx512 path without the avx512 bits/zmm state");
    CHECK(c->sse2, "x86-64 always has sse2");
    CHECK(c->vendor[0] != 0, "vendor string");
#elif defined(__aarch64__)
    CHECK(c->neon && myelin_isa_supported("neon"), "neon is baseline on aarch64");
    CHECK(!myelin_isa_supported("avx2"), "no x86 path on aarch64");
#endif
    const myl_caches *ca = myl_cache_info();
    CHECK(ca->l1d >= 4096 && ca->l2 >= ca->l1d, "cache sizes l1d %zu l2 %zu", ca->l1d, ca->l2);
    /* Blocking fits the tile and is not degenerate for each path. */
    for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
        const myl_kernels *k = myl_kernels_by_name(order[i]);
        if (!k)
            continue;
        myl_blocking b;
        myl_gemm_blocking(k, &b);
        CHECK(b.mc % k->mr == 0 && b.nc % k->nr == 0 && b.kc >= 64 && b.mc >= k->mr && b.nc >= k->nr,
              "%s: MC %zu KC %zu NC %zu for a %ux%u tile", order[i], b.mc, b.kc, b.nc, k->mr, k->nr);
    }
}

TEST(dispatch_threads)
{
    int saved = myelin_num_threads();
    CHECK(myelin_set_num_threads(-1) == MYELIN_EINVAL, "negative thread count");
    CHECK(myelin_set_num_threads(3) == MYELIN_OK && myelin_num_threads() == 3, "3 threads");
    CHECK(myelin_set_num_threads(0) == MYELIN_OK && myelin_num_threads() == myl_physical_cores(),
          "0 = physical cores (%d), got %d", myl_physical_cores(), myelin_num_threads());
    CHECK(myl_physical_cores() >= 1, "at least one core");
    /* Called from inside an OpenMP region, even one of a single thread, the
       engine forks no team of its own (a nested team starts its threads at
       every fork); the configured count stays what the user set. */
    myelin_set_num_threads(3);
    CHECK(myl_threads() == 3, "top level: 3 threads, got %d", myl_threads());
    int inside = -1, reported = -1;
#pragma omp parallel num_threads(1)
    {
        inside = myl_threads();
        reported = myelin_num_threads();
    }
    CHECK(inside == 1, "inside a one-thread region: %d threads, not 1", inside);
    CHECK(reported == 3, "inside a region myelin_num_threads() reports %d, not 3", reported);
    myelin_set_num_threads(saved == myl_physical_cores() ? 0 : saved);
}

TEST(dispatch_info)
{
    static char buf[8192];
    CHECK(myelin_info(NULL, 10) == MYELIN_EINVAL && myelin_info(buf, 0) == MYELIN_EINVAL, "bad buffer");
    CHECK(myelin_info(buf, sizeof buf) == MYELIN_OK, "info: %s", myelin_last_error());
    const char *need[] = {myelin_version(), "CPU", "L1d", "Threads", "ISA paths", "scalar", "avx2", "avx512",
                          "neon", "(in use)", "MC", "KC", "NC"};
    for (size_t i = 0; i < sizeof need / sizeof need[0]; i++)
        CHECK(strstr(buf, need[i]) != NULL, "info lacks '%s'", need[i]);
    char line[64];
    snprintf(line, sizeof line, "%s ", myelin_isa());
    const char *use = strstr(buf, "(in use)");
    CHECK(use && strstr(buf, line) && strstr(buf, line) < use, "the path in use (%s) is the one marked", line);
    char small[16];
    CHECK(myelin_info(small, sizeof small) == MYELIN_EINVAL && strlen(small) < sizeof small,
          "too small a buffer: EINVAL, still terminated");
    if (th_verbose())
        printf("%s", buf);
}

/* MYELIN_ISA naming a path this CPU lacks: every call fails with a message
   naming what runs (no silent fallback, no SIGILL). The variable is read
   once at start-up, so the test re-runs itself in a child with it set. */
static void env_child_checks(void)
{
    float a = 1, b = 1, c = 0;
    CHECK(myelin_sgemm(MYELIN_NOTRANS, MYELIN_NOTRANS, 1, 1, 1, 1, &a, 1, &b, 1, 0, &c, 1) == MYELIN_EUNSUPPORTED,
          "sgemm with a bad MYELIN_ISA");
    CHECK(strstr(myelin_last_error(), "no-such-isa") && strstr(myelin_last_error(), "supported"),
          "message: '%s'", myelin_last_error());
    CHECK(!strcmp(myelin_isa(), "none"), "isa in use: %s", myelin_isa());
    CHECK(myelin_set_isa("scalar") == MYELIN_OK && myelin_sgemm(MYELIN_NOTRANS, MYELIN_NOTRANS, 1, 1, 1, 1, &a, 1,
                                                                &b, 1, 0, &c, 1) == MYELIN_OK && c == 1,
          "set_isa recovers");
}

TEST(dispatch_env)
{
    const char *e = getenv("MYELIN_ISA");
    if (e && !strcmp(e, "no-such-isa")) { /* the child */
        env_child_checks();
        return;
    }
#if defined(__aarch64__)
    th_skip("re-runs the test binary natively (x86 only)");
#else
    char self[4096];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (!CHECK(n > 0, "readlink /proc/self/exe"))
        return;
    self[n] = 0;
    char cmd[4300];
    snprintf(cmd, sizeof cmd, "MYELIN_ISA=no-such-isa '%s' dispatch_env 2>&1", self);
    FILE *p = popen(cmd, "r");
    if (!CHECK(p != NULL, "popen"))
        return;
    char out[4096] = {0};
    size_t got = fread(out, 1, sizeof out - 1, p);
    out[got] = 0;
    int rc = pclose(p);
    CHECK(WIFEXITED(rc) && WEXITSTATUS(rc) == 0, "child failed (%d):\n%s", rc, out);
    CHECK(strstr(out, "ok   dispatch_env") != NULL, "child did not run the check:\n%s", out);
    CHECK(strstr(out, "myelin: MYELIN_ISA=no-such-isa") != NULL, "start-up message missing:\n%s", out);
#endif
}
