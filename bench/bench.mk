# bench/bench.mk - the benchmark suite (see bench/README.md). Called by the
# top-level `make bench` after set-up and `make all`:
#
#   make -f bench/bench.mk bench [QUICK=1|FULL=1] [B=build] [WAIT_IDLE=seconds]
#                                                              build, run, report
#   make -f bench/bench.mk bench-build [B=build]               binaries only
#
# Binaries go to $(B)/bench/: myelin-bench (Google Benchmark), mb-xsmm.so (the
# libxsmm peer, when libxsmm-dev is installed), myelin-fmnist (end to end).

B        ?= build
OPT      ?= -O2
PYTHON   ?= /usr/bin/python3
BD       := $(B)/bench
CC       ?= gcc
CXX      ?= g++
# The library's own baseline, so the naive loops and helpers get no AVX for free.
BFLAGS   := $(OPT) -g -Wall -Wextra -fopenmp -D_GNU_SOURCE -Iinclude -Ibench -march=x86-64 -mtune=generic
CFLAGS_B := -std=c11 $(BFLAGS)
AVX512_B := -mavx512f -mavx512dq -mavx512bw -mavx512vl -mavx2 -mfma
OPENBLAS_DIR := /usr/lib/x86_64-linux-gnu/openblas-pthread
LIBS     := $(B)/libmyelin.a -lbenchmark -lpthread -fopenmp -lhwloc -lz -lm -ldl

ifeq ($(FULL),1)
  LEVEL := full
else ifeq ($(QUICK),1)
  LEVEL := quick
else
  LEVEL := default
endif

BENCH_C := common.c machine.c gemm.c peers.c peer-dnnl-bf16.c activations.c fused.c training.c naive_trainer.c
BENCH_O := $(patsubst %.c,$(BD)/%.o,$(BENCH_C)) $(BD)/machine-avx512.o $(BD)/shim.o
XSMM    := $(if $(wildcard /usr/lib/libxsmm.a),$(BD)/mb-xsmm.so)

.PHONY: bench bench-build bench-blas
bench: bench-build
	$(PYTHON) bench/run.py --level $(LEVEL) --build $(B) $(if $(WAIT_IDLE),--wait-idle $(WAIT_IDLE))
	$(PYTHON) bench/blas_bench.py --level $(LEVEL) --build $(B)

# NumPy and PyTorch on libmyelin_blas.so against their stock BLAS (bench/blas_bench.py).
bench-blas: $(BD)/blas-overhead
	$(PYTHON) bench/blas_bench.py --level $(LEVEL) --build $(B)

bench-build: $(BD)/myelin-bench $(BD)/myelin-fmnist $(BD)/blas-overhead $(XSMM)

# Loads the system's libblas.so.3 and the library it is given side by side.
$(BD)/blas-overhead: bench/blas_overhead.c
	@mkdir -p $(BD)
	$(CC) -std=c11 $(OPT) -Wall -Wextra -D_GNU_SOURCE -o $@ $< -ldl

$(BD)/%.o: bench/%.c bench/bench.h bench/peers.h bench/shapes.h bench/naive_trainer.h include/myelin.h
	@mkdir -p $(BD)
	$(CC) $(CFLAGS_B) -c $< -o $@
$(BD)/machine-avx512.o: bench/machine-avx512.c bench/bench.h
	@mkdir -p $(BD)
	$(CC) $(CFLAGS_B) $(AVX512_B) -c $< -o $@
$(BD)/shim.o: bench/shim.cc bench/bench.h
	@mkdir -p $(BD)
	$(CXX) -std=c++14 $(BFLAGS) -c $< -o $@

$(BD)/myelin-bench: $(BENCH_O) $(B)/libmyelin.a
	$(CXX) -o $@ $(BENCH_O) $(LIBS)

$(BD)/myelin-fmnist: bench/fmnist.c $(B)/libmyelin.a include/myelin.h
	@mkdir -p $(BD)
	$(CC) $(CFLAGS_B) -o $@ $< $(B)/libmyelin.a -fopenmp -lhwloc -lz -lm

# libxsmm is static-only in Debian; its BLAS fallback is OpenBLAS. Built as a
# module so it is loaded only in the process that measures it.
$(BD)/mb-xsmm.so: bench/peer-xsmm.c
	@mkdir -p $(BD)
	$(CC) $(CFLAGS_B) -fPIC -shared -o $@ $< /usr/lib/libxsmmext.a /usr/lib/libxsmm.a \
	    -L$(OPENBLAS_DIR) -lopenblas -Wl,-rpath,$(OPENBLAS_DIR) -fopenmp -lpthread -lrt -ldl -lm

$(B)/libmyelin.a:
	$(MAKE) --no-print-directory B=$(B) $(B)/libmyelin.a
