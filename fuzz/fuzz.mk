# Fuzzing the readers (IDX, CSV, model, tuning file) and the training API
# with libFuzzer + AddressSanitizer + UBSan (clang).
#   make fuzz [FUZZ_SECONDS=300]   build, then fuzz each target that long
# tests/phase-fuzz.sh runs a few seconds of each in `make test` and replays
# fuzz/regress/<target>/* (inputs that once crashed) every time.
#
# Only the parsers (engine/data, engine/model.c) are compiled with clang's
# coverage and sanitizers; the rest of the library comes from the normal
# build ($(FUZZ_BASE)/libmyelin.a), which keeps the build to seconds. The
# training target also gets the training engine instrumented (TRAIN_SRC:
# networks, passes, optimisers, schedules, inference; not the GEMM, the
# kernels, dispatch or tuning). It is compiled without -fopenmp: its
# parallel regions run as teams of one, as they do for the small nets the
# target trains (under 5M multiply-adds a step runs on one thread).
FUZZ_SECONDS ?= 300
FUZZ_BASE ?= build
FB := build-fuzz
SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
TARGETS := idx csv model tuning train
FUZZ_SRC := $(wildcard engine/data/*.c) engine/model.c engine/tuning-file.c
FUZZ_OBJ := $(patsubst %.c,$(FB)/obj/%.o,$(FUZZ_SRC))
TRAIN_SRC := $(addprefix engine/,act.c batch.c errors.c init.c loss.c net.c optim.c params.c predict.c \
               recovery.c rng.c schedule.c schedule_tasks.c train.c train_layers.c train_ws.c)
TRAIN_OBJ := $(patsubst %.c,$(FB)/obj/%.o,$(TRAIN_SRC))
# The tuning reader knows the x86 paths' variant names only when told they are built.
FUZZ_ISA := $(if $(filter x86_64,$(shell uname -m)),-DMYL_HAVE_AVX2 -DMYL_HAVE_AVX512)
GOMP := $(shell gcc -print-file-name=libgomp.so)

.PHONY: fuzz fuzz-build FORCE
.SECONDARY:
fuzz-build: $(patsubst %,$(FB)/fuzz_%,$(TARGETS))

$(FUZZ_BASE)/libmyelin.a: FORCE
	@$(MAKE) --no-print-directory -f Makefile B=$(FUZZ_BASE) $@
FORCE:

# MYL_FUZZ_NO_CRC: the model loader skips its checksum so that the fuzzer
# reaches the structural checks behind it.
$(FB)/obj/%.o: %.c engine/data/data.h engine/tuning.h engine/internal.h engine/network.h engine/params.h \
               engine/optim.h engine/schedule.h engine/train_internal.h engine/rng.h kernels/kernels.h include/myelin.h
	@mkdir -p $(dir $@)
	clang -std=c11 -O1 -g -D_GNU_SOURCE -DMYL_HAVE_ZLIB -DMYL_FUZZ_NO_CRC $(FUZZ_ISA) -Iinclude -Iengine -Ikernels \
	    -fsanitize=fuzzer-no-link $(SAN) -c $< -o $@

$(FB)/fuzz_train: fuzz/fuzz_train.c $(FUZZ_OBJ) $(TRAIN_OBJ) $(FUZZ_BASE)/libmyelin.a
	clang -std=c11 -O1 -g -D_GNU_SOURCE -Iinclude -Iengine -Ikernels -fsanitize=fuzzer $(SAN) \
	    -o $@ $< $(FUZZ_OBJ) $(TRAIN_OBJ) $(FUZZ_BASE)/libmyelin.a $(GOMP) -lhwloc -lz -lm -lpthread

$(FB)/fuzz_%: fuzz/fuzz_%.c $(FUZZ_OBJ) $(FUZZ_BASE)/libmyelin.a
	clang -std=c11 -O1 -g -D_GNU_SOURCE -Iinclude -Iengine -Ikernels -fsanitize=fuzzer $(SAN) \
	    -o $@ $< $(FUZZ_OBJ) $(FUZZ_BASE)/libmyelin.a $(GOMP) -lhwloc -lz -lm -lpthread

fuzz: fuzz-build
	@for t in $(TARGETS); do \
	    mkdir -p $(FB)/corpus-$$t $(FB)/artifacts; \
	    echo "fuzz $$t for $(FUZZ_SECONDS) s"; \
	    $(FB)/fuzz_$$t -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -rss_limit_mb=2048 \
	        -artifact_prefix=$(FB)/artifacts/$$t- $(FB)/corpus-$$t fuzz/corpus/$$t || exit 1; \
	done
