/* The test runner: see harness.h. */
#include "harness.h"
#include "myelin.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_TESTS = 1024, MAX_MSGS = 8 };

typedef struct {
    const char *name;
    th_fn fn;
    th_isa_fn isa_fn;
} th_test;

static th_test tests[MAX_TESTS];
static int n_tests;
static int cur_failed, cur_msgs, cur_skipped, verbose;
static char cur_skip_why[256];

static void add(const char *name, th_fn fn, th_isa_fn isa_fn)
{
    if (n_tests == MAX_TESTS) {
        fprintf(stderr, "harness: more than %d tests\n", MAX_TESTS);
        exit(2);
    }
    tests[n_tests++] = (th_test){name, fn, isa_fn};
}

void th_register(const char *name, th_fn fn) { add(name, fn, NULL); }
void th_register_isa(const char *name, th_isa_fn fn) { add(name, NULL, fn); }
int th_verbose(void) { return verbose; }
int th_quick(void)
{
    const char *e = getenv("MYELIN_TEST_QUICK");
    return e && *e && strcmp(e, "0") != 0;
}

int th_check(int cond, const char *file, int line, const char *fmt, ...)
{
    if (cond)
        return 1;
    cur_failed++;
    if (cur_msgs++ < MAX_MSGS) {
        va_list ap;
        va_start(ap, fmt);
        printf("    %s:%d: ", file, line);
        vprintf(fmt, ap);
        printf("\n");
        va_end(ap);
    }
    return 0;
}

void th_skip(const char *why)
{
    cur_skipped = 1;
    snprintf(cur_skip_why, sizeof cur_skip_why, "%s", why);
}

void th_note(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    printf("    ");
    vprintf(fmt, ap);
    printf("\n");
    va_end(ap);
}

uint64_t th_rand_u64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

float th_rand_uniform(uint64_t *s, float lo, float hi)
{
    return lo + (hi - lo) * (float)((th_rand_u64(s) >> 40) * (1.0 / 16777216.0));
}

static int passed, failed, skipped;

static void run_one(const char *label, th_fn fn, th_isa_fn isa_fn, const char *isa)
{
    cur_failed = cur_msgs = cur_skipped = 0;
    cur_skip_why[0] = 0;
    if (verbose) {
        printf("... %s\n", label);
        fflush(stdout);
    }
    if (fn)
        fn();
    else
        isa_fn(isa);
    if (cur_failed) {
        printf("FAIL %s (%d failed checks)\n", label, cur_failed);
        failed++;
    } else if (cur_skipped) {
        printf("skip %s: %s\n", label, cur_skip_why);
        skipped++;
    } else {
        printf("ok   %s\n", label);
        passed++;
    }
    fflush(stdout);
}

int main(int argc, char **argv)
{
    const char *filter = NULL;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "-v"))
            verbose = 1;
        else
            filter = argv[i];
    }
#if defined(__aarch64__)
    static const char *isas[] = {"scalar", "neon"};
#else
    static const char *isas[] = {"scalar", "avx2", "avx512"};
#endif
    const size_t n_isas = sizeof isas / sizeof isas[0];
    char label[256];
    for (int t = 0; t < n_tests; t++) {
        if (!tests[t].isa_fn) {
            if (filter && !strstr(tests[t].name, filter))
                continue;
            run_one(tests[t].name, tests[t].fn, NULL, NULL);
            continue;
        }
        for (size_t i = 0; i < n_isas; i++) {
            snprintf(label, sizeof label, "%s[%s]", tests[t].name, isas[i]);
            if (filter && !strstr(label, filter))
                continue;
            if (!myelin_isa_supported(isas[i])) {
                printf("skip %s: this CPU cannot run %s\n", label, isas[i]);
                skipped++;
                continue;
            }
            if (myelin_set_isa(isas[i]) != MYELIN_OK) {
                printf("FAIL %s: myelin_set_isa failed: %s\n", label, myelin_last_error());
                failed++;
                continue;
            }
            run_one(label, NULL, tests[t].isa_fn, isas[i]);
            myelin_set_isa("auto"); /* only after a test ran: a filtered run keeps MYELIN_ISA's choice */
        }
    }
    printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
    return failed ? 1 : 0;
}
