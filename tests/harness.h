/*
 * harness.h - Myelin's test harness. Each test file registers its tests with
 * TEST(name) or, for tests that must run once per kernel path, TEST_ISA(name)
 * (the runner selects each ISA this build has; one this CPU cannot run is
 * counted as skipped). The runner ends with "N passed, N failed, N skipped".
 *
 *   myelin-tests [-v] [filter]     run the tests whose name contains filter
 */
#ifndef MYL_TEST_HARNESS_H
#define MYL_TEST_HARNESS_H

#include <stddef.h>
#include <stdint.h>

typedef void (*th_fn)(void);
typedef void (*th_isa_fn)(const char *isa);

void th_register(const char *name, th_fn fn);
void th_register_isa(const char *name, th_isa_fn fn);

#define TEST(name)                                                              \
    static void name(void);                                                     \
    __attribute__((constructor)) static void th_reg_##name(void) { th_register(#name, name); } \
    static void name(void)

#define TEST_ISA(name)                                                          \
    static void name(const char *isa);                                          \
    __attribute__((constructor)) static void th_reg_##name(void) { th_register_isa(#name, name); } \
    static void name(const char *isa)

/* Records a failure (with a printf-style message) unless cond holds. The
   first few messages of a failing test are printed. Returns cond. */
int th_check(int cond, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
#define CHECK(cond, ...) th_check(!!(cond), __FILE__, __LINE__, __VA_ARGS__)
/* Marks the running test skipped (with a reason) unless it already failed. */
void th_skip(const char *why);
/* Informational line, printed under the test's name (e.g. a max-ulp table). */
void th_note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int th_verbose(void);
/* 1 when MYELIN_TEST_QUICK is set (the ASan phase): sweeps take a sample. */
int th_quick(void);

/* Deterministic test randomness (splitmix64). */
uint64_t th_rand_u64(uint64_t *state);
float th_rand_uniform(uint64_t *state, float lo, float hi);

#endif
