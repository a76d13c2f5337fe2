# Myelin build. `make` builds the libraries, the CLI and the examples;
# `make test` and `make bench` set themselves up (scripts/setup.sh) first.
#
#   make                      build/libmyelin.{a,so}, build/myelin, build/myelin.1, build/examples/*
#   make test                 set-up, build, all tests (x86 paths, NEON under qemu, ASan/UBSan, CLI)
#   make bench [QUICK=1|FULL=1]  set-up, build, benchmark suite, report and plots
#   make asan                 the test runner built with AddressSanitizer + UBSan, run
#   make tsan                 the threaded tests under ThreadSanitizer (clang, libomp + Archer)
#   make CROSS=aarch64-linux-gnu-   the library for 64-bit Arm into build-aarch64/
#   make install PREFIX=/usr/local   (also the Python package, see scripts/py_install_dir.py)
#   make blas                 build/libmyelin_blas.so (sgemm_, cblas_sgemm) and build/blas-wrap/libblas.so.3
#   make PROFILE=1            frame pointers and symbols for perf
#   make mpi                  build/libmyelin_mpi.so and build/myelin-mpi (needs mpicc: Open MPI)

PREFIX   ?= /usr/local
PYTHON   ?= /usr/bin/python3
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
AVX512BF16_SRC := $(wildcard kernels/x86/*-avx512bf16.c)
NEON_SRC   := $(wildcard kernels/arm/*-neon.c)
ENGINE_SRC := $(wildcard engine/*.c) $(wildcard engine/data/*.c)

ifeq ($(ARCH),aarch64)
  BASE_FLAGS := -march=armv8-a
  ISA_DEFS   := -DMYL_HAVE_NEON
  LIB_SRC    := $(SCALAR_SRC) $(NEON_SRC) $(ENGINE_SRC)
  DEP_LIBS   := -lm
else
  BASE_FLAGS := -march=x86-64 -mtune=generic
  ISA_DEFS   := -DMYL_HAVE_AVX2 -DMYL_HAVE_AVX512 -DMYL_HAVE_AVX512BF16 -DMYL_HAVE_HWLOC -DMYL_HAVE_ZLIB
  LIB_SRC    := $(SCALAR_SRC) $(AVX2_SRC) $(AVX512_SRC) $(AVX512BF16_SRC) $(ENGINE_SRC)
  DEP_LIBS   := -lhwloc -lz -lm
endif
AVX2_FLAGS   := -mavx2 -mfma
AVX512_FLAGS := -mavx512f -mavx512dq -mavx512bw -mavx512vl -mfma -mavx2 -mprfchw # PREFETCHW: every AVX-512 CPU has it
AVX512BF16_FLAGS := $(AVX512_FLAGS) -mavx512bf16
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
BLAS_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(wildcard blas/*.c))
# The BLAS the wrapper libblas.so.3 forwards everything else to: a real
# library, never the alternatives link (which may point at the wrapper).
SYSTEM_BLAS ?= $(firstword $(wildcard /usr/lib/$(shell $(CC) -dumpmachine)/openblas-pthread/libblas.so.3 \
                 /usr/lib/$(shell $(CC) -dumpmachine)/blas/libblas.so.3))
CLI_SRC := $(wildcard cli/*.c)
CLI_OBJ := $(patsubst %.c,$(B)/obj/%.o,$(CLI_SRC))
EXAMPLES := $(patsubst examples/%.c,$(B)/examples/%,$(wildcard examples/*.c))
TEST_SRC := tests/harness.c $(wildcard tests/kernels/*.c) $(wildcard tests/engine/*.c)
KTEST_SRC := tests/harness.c $(wildcard tests/kernels/*.c)

.PHONY: all lib blas blas-tests test bench asan tsan install clean cross-test setup fuzz mpi
all: lib blas $(B)/myelin $(B)/myelin.1 $(EXAMPLES)
lib: $(B)/libmyelin.a $(B)/libmyelin.so $(B)/libmyelin.so.0 $(B)/myelin.pc
blas: $(B)/libmyelin_blas.so $(B)/libmyelin_blas.so.0 $(if $(SYSTEM_BLAS),$(B)/blas-wrap/libblas.so.3)

$(B)/obj/%-avx2.o: %-avx2.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(KERNEL_G) $(AVX2_FLAGS) -MMD -MP -c $< -o $@
$(B)/obj/%-avx512.o: %-avx512.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(KERNEL_G) $(AVX512_FLAGS) -MMD -MP -c $< -o $@
$(B)/obj/%-avx512bf16.o: %-avx512bf16.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(KERNEL_G) $(AVX512BF16_FLAGS) -MMD -MP -c $< -o $@
$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

$(B)/libmyelin.a: $(LIB_OBJ)
	@mkdir -p $(B)
	rm -f $@ && $(AR) rcs $@ $^
$(B)/libmyelin.so: $(LIB_OBJ) myelin.map
	$(CC) -shared -o $@ $(LIB_OBJ) -Wl,--version-script=myelin.map -Wl,-soname,libmyelin.so.0 $(LDLIBS)
# The soname links, so that programs linked with -L$(B) run from the build tree.
$(B)/%.so.0: $(B)/%.so
	ln -sf $(notdir $<) $@

# The BLAS front end: Myelin's objects inside, only the BLAS symbols out
# (blas/blas.map), so it preloads alone and never clashes with a libmyelin.so;
# never unloaded (its pool's threads run its code).
$(B)/libmyelin_blas.so: $(BLAS_OBJ) $(B)/libmyelin.a blas/blas.map
	$(CC) -shared -o $@ $(BLAS_OBJ) $(B)/libmyelin.a -Wl,--version-script=blas/blas.map \
	    -Wl,-soname,libmyelin_blas.so.0 -Wl,-z,nodelete $(LDLIBS)
# The same, named libblas.so.3 and depending on the real BLAS by its full path
# (a stub whose soname is that path), so that a directory holding it on
# LD_LIBRARY_PATH, or registered with update-alternatives, routes SGEMM here
# and everything else of BLAS (and LAPACK's calls) to the system's library.
$(B)/blas-wrap/libblas.so.3: $(BLAS_OBJ) $(B)/libmyelin.a blas/blas.map
	@mkdir -p $(dir $@)
	echo 'int myl_blas_stub;' | $(CC) -shared -fPIC -x c - -o $(B)/blas-wrap/stub.so -Wl,-soname,$(SYSTEM_BLAS)
	$(CC) -shared -o $@ $(BLAS_OBJ) $(B)/libmyelin.a -Wl,--version-script=blas/blas.map \
	    -Wl,-soname,libblas.so.3 -Wl,-z,nodelete -Wl,--no-as-needed $(B)/blas-wrap/stub.so $(LDLIBS)
	rm -f $(B)/blas-wrap/stub.so

# The BLAS tests' programs (tests/phase-blas.sh): linked -L$(B) -lmyelin_blas
# as a user would; statically for Arm, to run under qemu without a sysroot.
BLAS_TESTS := $(B)/blas-tests/test_blas_map $(B)/blas-tests/test_blas_default
blas-tests: $(BLAS_TESTS)
$(B)/blas-tests/%: tests/blas/%.c tests/blas/blas_abi.h $(if $(filter aarch64,$(ARCH)),$(BLAS_OBJ) $(B)/libmyelin.a,$(B)/libmyelin_blas.so $(B)/libmyelin_blas.so.0)
	@mkdir -p $(dir $@)
ifeq ($(ARCH),aarch64)
	$(CC) -std=c11 -O2 -Wall -Wextra -D_GNU_SOURCE -static -pthread -o $@ $< $(BLAS_OBJ) $(B)/libmyelin.a $(LDLIBS)
else
	$(CC) -std=c11 -O2 -Wall -Wextra -D_GNU_SOURCE -o $@ $< -L$(B) -lmyelin_blas -lm -pthread
endif

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

# MPI training (issue 18), only on demand (`make mpi`; tests/phase-mpi.sh runs
# it): libmyelin_mpi.so is the whole engine plus myelin_train_mpi, so that
# libmyelin.so itself never depends on MPI; myelin-mpi is the tool's train
# command over MPI, a program of its own so that build/myelin is the same
# binary with or without Open MPI installed.
MPICC ?= mpicc
MPI_LIB_OBJ := $(patsubst %.c,$(B)/obj/%.o,mpi/chunk-grad.c mpi/tree.c mpi/exchange.c mpi/agree.c mpi/settings.c mpi/train-mpi.c)
MPI_CLI_OBJ := $(patsubst %.c,$(B)/obj/%.o,mpi/cli-mpi.c cli/train_args.c cli/net_build.c cli/options.c cli/dataset.c)
mpi: $(B)/libmyelin_mpi.so $(B)/myelin-mpi $(B)/mpi-api-test
$(B)/obj/mpi/%.o: mpi/%.c
	@mkdir -p $(dir $@)
	$(MPICC) $(CFLAGS) -Icli -Impi -MMD -MP -c $< -o $@
$(B)/libmyelin_mpi.so: $(MPI_LIB_OBJ) $(LIB_OBJ) myelin.map
	$(MPICC) -shared -o $@ $(MPI_LIB_OBJ) $(LIB_OBJ) -Wl,--version-script=myelin.map -Wl,-soname,libmyelin_mpi.so.0 $(LDLIBS)
	ln -sf libmyelin_mpi.so $(B)/libmyelin_mpi.so.0
# The API's test program, against the shared library (tests/phase-mpi.sh).
$(B)/mpi-api-test: tests/mpi/api.c $(B)/libmyelin_mpi.so include/myelin_mpi.h
	$(MPICC) $(CFLAGS) -o $@ $< -L$(B) -lmyelin_mpi -Wl,-rpath,'$$ORIGIN'
$(B)/myelin-mpi: $(MPI_CLI_OBJ) $(MPI_LIB_OBJ) $(B)/libmyelin.a
	$(MPICC) -o $@ $(MPI_CLI_OBJ) $(MPI_LIB_OBJ) $(B)/libmyelin.a $(LDLIBS)

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

fuzz:   # libFuzzer + ASan/UBSan on the IDX, CSV, model and tuning-file readers and the training API (FUZZ_SECONDS=300 each)
	@$(MAKE) --no-print-directory -f fuzz/fuzz.mk fuzz

bench: SETUP_ARGS = bench
bench: setup
	@$(MAKE) --no-print-directory all
	@$(MAKE) --no-print-directory -f bench/bench.mk bench QUICK=$(QUICK) FULL=$(FULL)

install: lib blas $(B)/myelin $(B)/myelin.1
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig $(DESTDIR)$(PREFIX)/bin \
	    $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 644 include/myelin.h $(DESTDIR)$(PREFIX)/include/
	install -m 644 $(B)/libmyelin.a $(DESTDIR)$(PREFIX)/lib/
	install -m 755 $(B)/libmyelin.so $(DESTDIR)$(PREFIX)/lib/libmyelin.so.0
	ln -sf libmyelin.so.0 $(DESTDIR)$(PREFIX)/lib/libmyelin.so
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' -e 's|@LIBS@|$(DEP_LIBS)|' myelin.pc.in \
	    > $(DESTDIR)$(PREFIX)/lib/pkgconfig/myelin.pc  # the PREFIX of this install, not of the build
	install -m 755 $(B)/libmyelin_blas.so $(DESTDIR)$(PREFIX)/lib/libmyelin_blas.so.0
	ln -sf libmyelin_blas.so.0 $(DESTDIR)$(PREFIX)/lib/libmyelin_blas.so
	if [ -e $(B)/blas-wrap/libblas.so.3 ]; then install -d $(DESTDIR)$(PREFIX)/lib/myelin-blas && \
	    install -m 755 $(B)/blas-wrap/libblas.so.3 $(DESTDIR)$(PREFIX)/lib/myelin-blas/; fi
	install -m 755 $(B)/myelin $(DESTDIR)$(PREFIX)/bin/
	install -m 644 $(B)/myelin.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	@# The Python package, where PREFIX's Python looks (scripts/py_install_dir.py), told
	@# where this install's library is (_install.py); skipped without $(PYTHON).
	@if [ -x "$(PYTHON)" ]; then \
	    d="$(DESTDIR)$$($(PYTHON) scripts/py_install_dir.py "$(PREFIX)")/myelin" && \
	    echo "install python/myelin -> $$d" && install -d "$$d" && install -m 644 python/myelin/*.py "$$d/" && \
	    rm -f "$$d/_install.py" && echo 'LIBDIR = "$(PREFIX)/lib"' > "$$d/_install.py"; \
	else echo "$(PYTHON) not found: the Python package is not installed"; fi

clean:
	rm -rf build build-aarch64 build-asan build-tsan build-bench build-fuzz

-include $(shell find $(B)/obj -name '*.d' 2>/dev/null)
