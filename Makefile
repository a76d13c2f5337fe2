# Myelin build. `make` builds the libraries, the CLI and the examples;
# `make test` and `make bench` set themselves up (scripts/setup.sh) first.
#
#   make                      build/libmyelin.{a,so}, build/myelin, build/myelin.1, build/examples/*
#   make test                 set-up, build, all tests (x86 paths, NEON under qemu, ASan/UBSan, CLI)
#   make bench [QUICK=1|FULL=1]  set-up, build, benchmark suite, report and plots
#   make asan                 the test runner built with AddressSanitizer + UBSan, run
#   make tsan                 the threaded tests under ThreadSanitizer (clang, libomp + Archer)
#   make CROSS=aarch64-linux-gnu-   the library for 64-bit Arm into build-aarch64/
#   make install PREFIX=/usr/local
#   make PROFILE=1            frame pointers and symbols for perf

PREFIX   ?= /usr/local
CROSS    ?=
CC       := $(CROSS)gcc
CXX      := $(CROSS)g++
AR       := $(CROSS)ar
VERSION  := 0.1.0

ARCH := $(shell $(CC) -dumpmachine 2>/dev/null | cut -d- -f1)
ifeq ($(ARCH),aarch64)
  B ?= build-aarch64
else
  B ?= build
endif

OPT      ?= -O2
CFLAGS_COMMON := -std=c11 $(OPT) -g -Wall -Wextra -Wno-unused-parameter -fPIC -fopenmp \
                 -D_GNU_SOURCE -Iinclude -Ikernels -Iengine -ffp-contract=off
ifeq ($(PROFILE),1)
  CFLAGS_COMMON += -fno-omit-frame-pointer -g3
endif
ifdef SANITIZE
  CFLAGS_COMMON += -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
  LDSAN := -fsanitize=address,undefined
endif
ifdef TSAN
  CFLAGS_COMMON += -fsanitize=thread -fno-omit-frame-pointer
  LDSAN := -fsanitize=thread
endif

# Kernel sources: the ISA of each file is in its name (XNNPACK style).
SCALAR_SRC := $(wildcard kernels/*.c) $(wildcard kernels/scalar/*.c)
AVX2_SRC   := $(wildcard kernels/x86/*-avx2.c)
AVX512_SRC := $(wildcard kernels/x86/*-avx512.c)
NEON_SRC   := $(wildcard kernels/arm/*-neon.c)
ENGINE_SRC := $(wildcard engine/*.c) $(wildcard engine/data/*.c)

ifeq ($(ARCH),aarch64)
  BASE_FLAGS := -march=armv8-a
  ISA_DEFS   := -DMYL_HAVE_NEON
  LIB_SRC    := $(SCALAR_SRC) $(NEON_SRC) $(ENGINE_SRC)
  DEP_LIBS   := -lm
else
  BASE_FLAGS := -march=x86-64 -mtune=generic
  ISA_DEFS   := -DMYL_HAVE_AVX2 -DMYL_HAVE_AVX512 -DMYL_HAVE_HWLOC -DMYL_HAVE_ZLIB
  LIB_SRC    := $(SCALAR_SRC) $(AVX2_SRC) $(AVX512_SRC) $(ENGINE_SRC)
  DEP_LIBS   := -lhwloc -lz -lm
endif
AVX2_FLAGS   := -mavx2 -mfma
AVX512_FLAGS := -mavx512f -mavx512dq -mavx512bw -mavx512vl -mfma -mavx2 -mprfchw # PREFETCHW: every AVX-512 CPU has it
# The x86 kernels' fully unrolled tile instances: line tables only (-g1), which
# keeps backtraces and perf annotation by line; full -g took 40 % of their
# compile time (f32-gemm-12x32-avx512.c: 25.8 s with -g, 17.1 s with -g1).
# PROFILE=1 keeps full debug information.
ifeq ($(PROFILE),1)
  KERNEL_G :=
else
  KERNEL_G := -g1
endif

CFLAGS := $(CFLAGS_COMMON) $(BASE_FLAGS) $(ISA_DEFS) $(EXTRA_CFLAGS)
LDLIBS := -fopenmp $(DEP_LIBS) $(LDSAN)

LIB_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(LIB_SRC))
CLI_SRC := $(wildcard cli/*.c)
CLI_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(CLI_SRC))
EXAMPLES := $(patsubst examples/%.c,$(B)/examples/%,$(wildcard examples/*.c))
TEST_SRC := tests/harness.c $(wildcard tests/kernels/*.c) $(wildcard tests/engine/*.c)
KTEST_SRC := tests/harness.c $(wildcard tests/kernels/*.c)

.PHONY: all lib test bench asan tsan install clean cross-test setup fuzz
all: lib $(B)/myelin $(B)/myelin.1 $(EXAMPLES)
lib: $(B)/libmyelin.a $(B)/libmyelin.so $(B)/myelin.pc

$(B)/obj/%-avx2.o: %-avx2.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(KERNEL_G) $(AVX2_FLAGS) -MMD -MP -c $< -o $@
$(B)/obj/%-avx512.o: %-avx512.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(KERNEL_G) $(AVX512_FLAGS) -MMD -MP -c $< -o $@
$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(B)/libmyelin.a: $(LIB_OBJ)
	@mkdir -p $(B)
	rm -f $@ && $(AR) rcs $@ $^
$(B)/libmyelin.so: $(LIB_OBJ) myelin.map
	$(CC) -shared -o $@ $(LIB_OBJ) -Wl,--version-script=myelin.map -Wl,-soname,libmyelin.so.0 $(LDLIBS)
$(B)/myelin.pc: myelin.pc.in Makefile
	@mkdir -p $(B)
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' -e 's|@LIBS@|$(DEP_LIBS)|' $< > $@

$(B)/myelin: $(CLI_OBJ) $(B)/libmyelin.a
	$(CC) -o $@ $(CLI_OBJ) $(B)/libmyelin.a $(LDLIBS)
# The manual page, from the tool's own --help texts (a cross build's tool does not run here).
$(B)/myelin.1: $(B)/myelin scripts/man.sh
ifeq ($(CROSS),)
	bash scripts/man.sh $(B)/myelin > $@.tmp && mv $@.tmp $@
else
	@echo "myelin.1: not made for a cross build (its tool does not run here)"
endif
$(B)/examples/%: examples/%.c $(B)/libmyelin.a include/myelin.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -o $@ $< $(B)/libmyelin.a $(LDLIBS)

# The test runner: every tests/**/*.c registers its tests (see tests/harness.h).
ifeq ($(ARCH),aarch64)
$(B)/myelin-tests: $(patsubst %.c,$(B)/obj/%.o,$(KTEST_SRC)) $(B)/libmyelin.a
	$(CC) -static -o $@ $^ $(LDLIBS)
else
$(B)/myelin-tests: $(patsubst %.c,$(B)/obj/%.o,$(TEST_SRC)) $(B)/libmyelin.a
	$(CC) -o $@ $^ $(LDLIBS)
endif

setup:
	@bash scripts/setup.sh $(SETUP_ARGS)

test: SETUP_ARGS = test
test: setup
	@$(MAKE) --no-print-directory all $(B)/myelin-tests
	@bash tests/run.sh

asan:
	@$(MAKE) --no-print-directory B=build-asan SANITIZE=1 OPT=-O1 build-asan/myelin-tests
	@MYELIN_TEST_QUICK=1 ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 build-asan/myelin-tests

# ThreadSanitizer on the threaded tests (GEMM on 2-4 threads, training with every
# schedule, two nets trained at once from two caller threads). GCC's libgomp is
# not instrumented and its barriers look like races to TSan, so this build uses
# clang and LLVM's libomp with its Archer tool, which tells TSan about OpenMP's
# barriers, tasks and locks (Debian: clang, libomp-dev).
TSAN_OMP_LIB ?= /usr/lib/llvm-$(shell clang -dumpversion 2>/dev/null | cut -d. -f1)/lib
TSAN_ARCHER  ?= $(TSAN_OMP_LIB)/libarcher.so
tsan:
	@$(MAKE) --no-print-directory B=build-tsan CC=clang TSAN=1 OPT=-O1 EXTRA_CFLAGS=-Wno-unknown-pragmas \
	    build-tsan/myelin-tests
	@set -e; for f in gemm train; do \
	    echo "=== tsan: $$f"; \
	    MYELIN_TEST_QUICK=1 OMP_TOOL_LIBRARIES=$(TSAN_ARCHER) LD_LIBRARY_PATH=$(TSAN_OMP_LIB) \
	    TSAN_OPTIONS="ignore_noninstrumented_modules=1 halt_on_error=1 exitcode=66" build-tsan/myelin-tests $$f; \
	done

cross-test:
	@$(MAKE) --no-print-directory CROSS=aarch64-linux-gnu- build-aarch64/libmyelin.a build-aarch64/myelin-tests

fuzz:   # libFuzzer + ASan/UBSan on the IDX, CSV and model readers (FUZZ_SECONDS=300 each)
	@$(MAKE) --no-print-directory -f fuzz/fuzz.mk fuzz

bench: SETUP_ARGS = bench
bench: setup
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory -f bench/bench.mk bench QUICK=$(QUICK) FULL=$(FULL)

install: lib $(B)/myelin $(B)/myelin.1
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/bin \
	    $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 644 include/myelin.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 $(B)/libmyelin.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(B)/libmyelin.so $(DESTDIR)$(PREFIX)/lib/libmyelin.so.0
	ln -sf libmyelin.so.0 $(DESTDIR)$(PREFIX)/lib/libmyelin.so
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' -e 's|@LIBS@|$(DEP_LIBS)|' myelin.pc.in \
	    > $(DESTDIR)$(PREFIX)/lib/pkgconfig/myelin.pc  # the PREFIX of this install, not of the build
	install -m 755 $(B)/myelin $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(B)/myelin.1 $(DESTDIR)$(PREFIX)/share/man/man1/

clean:
	rm -rf build build-aarch64 build-asan build-tsan build-bench build-fuzz

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
