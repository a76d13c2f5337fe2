// shim.cc - registers the C benchmark cases (bench.h) with Google Benchmark.
//
//   myelin-bench [--myelin_level=smoke|quick|default|full] [--myelin_threads=N]
//                [--myelin_peak=GFLOPS] [--myelin_list] [--myelin_isa]
//                [Google Benchmark flags]
//
// --myelin_list prints the case names, --myelin_isa the path Myelin's
// dispatch picks on this CPU.
//
// Counters: GFLOPS, pct_peak (when --myelin_peak is given), GBps, and
// items_per_second (samples/s for training, hand-offs/s for the latency).
// Each case is set up once (buffers, data, a correctness check) and torn down
// when the next case starts, so the timed loop only runs the case.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "bench.h"
#include "myelin.h"

namespace {

double g_peak = 0;              // GFLOP/s the pct_peak counter divides by
const mb_case *g_current = nullptr;
void *g_ctx = nullptr;
bool g_current_ok = false;
std::string g_current_err;

void release_current()
{
    if (g_current && g_current_ok && g_current->teardown) g_current->teardown(g_ctx);
    g_current = nullptr;
    g_ctx = nullptr;
    g_current_ok = false;
}

void run_case(benchmark::State &st, const mb_case *c)
{
    if (c != g_current) {
        release_current();
        char err[512] = "";
        g_current = c;
        g_current_ok = c->setup(c, &g_ctx, err, sizeof err) == 0;
        g_current_err = err[0] ? err : "setup failed";
    }
    if (!g_current_ok) {
        st.SkipWithError(g_current_err.c_str());
        for (auto _ : st) {
        }
        return;
    }
    for (auto _ : st) c->run(g_ctx);
    char err[512] = "";
    if (c->verify && c->verify(g_ctx, err, sizeof err) != 0) {
        st.SkipWithError(err[0] ? err : "verification failed");
        return;
    }
    using C = benchmark::Counter;
    if (c->flops > 0) {
        st.counters["GFLOPS"] = C(c->flops * 1e-9, C::kIsIterationInvariantRate);
        if (g_peak > 0)
            st.counters["pct_peak"] = C(c->flops * 1e-9 * 100.0 / g_peak, C::kIsIterationInvariantRate);
    }
    if (c->bytes > 0) st.counters["GBps"] = C(c->bytes * 1e-9, C::kIsIterationInvariantRate);
    if (c->items > 0) st.SetItemsProcessed((int64_t)(c->items * (double)st.iterations()));
    if (c->label[0]) st.SetLabel(c->label);
}

bool take_flag(const char *arg, const char *name, const char **value)
{
    size_t n = std::strlen(name);
    if (std::strncmp(arg, name, n) != 0) return false;
    if (arg[n] == '=') { *value = arg + n + 1; return true; }
    if (arg[n] == '\0') { *value = ""; return true; }
    return false;
}

}  // namespace

int main(int argc, char **argv)
{
    mb_config cfg = { MB_DEFAULT, 1 };
    bool list = false;
    std::vector<char *> rest;
    rest.push_back(argv[0]);
    for (int i = 1; i < argc; i++) {
        const char *v;
        if (take_flag(argv[i], "--myelin_level", &v)) {
            if (!std::strcmp(v, "smoke")) cfg.level = MB_SMOKE;
            else if (!std::strcmp(v, "quick")) cfg.level = MB_QUICK;
            else if (!std::strcmp(v, "default")) cfg.level = MB_DEFAULT;
            else if (!std::strcmp(v, "full")) cfg.level = MB_FULL;
            else { std::fprintf(stderr, "myelin-bench: unknown level '%s'\n", v); return 2; }
        } else if (take_flag(argv[i], "--myelin_threads", &v)) {
            cfg.threads = std::atoi(v);
            if (cfg.threads < 1) { std::fprintf(stderr, "myelin-bench: bad thread count '%s'\n", v); return 2; }
        } else if (take_flag(argv[i], "--myelin_peak", &v)) {
            g_peak = std::atof(v);
        } else if (take_flag(argv[i], "--myelin_list", &v)) {
            list = true;
        } else if (take_flag(argv[i], "--myelin_isa", &v)) {
            std::printf("%s\n", myelin_isa());
            return 0;
        } else {
            rest.push_back(argv[i]);
        }
    }

    mb_list l = { nullptr, 0, 0 };
    mb_add_machine(&l, &cfg);
    mb_add_gemm(&l, &cfg);
    mb_add_activations(&l, &cfg);
    mb_add_fused(&l, &cfg);
    mb_add_training(&l, &cfg);
    if (list) {
        for (size_t i = 0; i < l.n; i++) std::printf("%s\n", l.v[i].name);
        return 0;
    }
    for (size_t i = 0; i < l.n; i++) {
        const mb_case *c = &l.v[i];
        benchmark::RegisterBenchmark(c->name, [c](benchmark::State &st) { run_case(st, c); })
            ->UseRealTime()
            ->Unit(benchmark::kMicrosecond);
    }
    int n = (int)rest.size();
    rest.push_back(nullptr);
    benchmark::Initialize(&n, rest.data());
    if (benchmark::ReportUnrecognizedArguments(n, rest.data())) return 2;
    benchmark::RunSpecifiedBenchmarks();
    release_current();
    benchmark::Shutdown();
    std::free(l.v);
    return 0;
}
