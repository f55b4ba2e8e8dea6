# SPDX-License-Identifier: GPL-2.0
#
# make                 build reclaimlab.ko for the running kernel
# make KVER=<version>  ... for another installed kernel (or KDIR=<headers>)
# make install         modules_install + depmod for that kernel
# make clean
# make module KVER=v   build into build/<v>/ (one tree per kernel, used by
#                      make check so the matrix builds never collide)
# make tests-bin       the static guest test programs, into build/tests/bin
#                      (TEST_ARCH=arm64: cross-built, build/tests/bin-arm64)
# make lint            checkpatch --strict and sparse on our sources
# make check           build for every kernel of the matrix, boot each in
#                      QEMU and run the guest suite
# make demo            the main job: boot 6.12, load, page out large folios
#                      (stock, then the walker), free empty PTE tables;
#                      then 6.1: PTE-mapped THP, stock against the walker
#                      with unmap batched; each step's counters side by
#                      side (reclaimctl diff).  ARCH=arm64: the same on
#                      Debian's arm64 6.12 (contpte)
# make bench           the side-by-side benchmark: BENCHMARKS.md, bench/
# make soak            minutes of every walker under a changing load, then
#                      leak checks (not part of check)

KVER ?= $(shell uname -r)
KDIR ?= /lib/modules/$(KVER)/build
TOP := $(CURDIR)
BUILD := $(TOP)/build
# W=1 everywhere; CI and make check also turn warnings into errors.
EXTRA_W ?= W=1

MODULE_SRCS := Kbuild $(wildcard module/*.[ch] module/arch/*.[ch] include/*.h)

all:
	$(MAKE) -C $(KDIR) M=$(TOP) $(EXTRA_W) modules

install: all
	$(MAKE) -C $(KDIR) M=$(TOP) modules_install
	depmod -a $(KVER)

clean:
	$(MAKE) -C $(KDIR) M=$(TOP) clean 2>/dev/null || true
	rm -rf $(BUILD)

# A private copy of the sources per kernel: Kbuild writes objects beside
# its sources, and two kernels' objects must not mix.
# (scripts/build-module.sh; a matrix kernel in the sid chroot is built
# inside it.)
module: $(MODULE_SRCS)
	EXTRA_W="$(EXTRA_W)" scripts/build-module.sh $(KVER)

# TEST_ARCH=arm64: cross-built for the arm64 guests, into build/tests/bin-arm64.
TEST_ARCH ?= x86_64
ifeq ($(TEST_ARCH),arm64)
TEST_CC := aarch64-linux-gnu-gcc
TEST_BIN_DIR := $(BUILD)/tests/bin-arm64
else
TEST_CC := $(CC)
TEST_BIN_DIR := $(BUILD)/tests/bin
endif
TEST_SRCS := $(wildcard tests/guest/*.c)
TEST_BINS := $(patsubst tests/guest/%.c,$(TEST_BIN_DIR)/%,$(TEST_SRCS))
TEST_CFLAGS := -static -O2 -Wall -Wextra -Werror -Iinclude -Itests/guest

tests-bin: $(TEST_BINS)

$(TEST_BIN_DIR)/%: tests/guest/%.c $(wildcard tests/guest/*.h) include/reclaimlab_counters.h
	@mkdir -p $(dir $@)
	$(TEST_CC) $(TEST_CFLAGS) -o $@ $< -lpthread

# The walker, adversarial, fuzz and soak tests and the benchmark also link
# the shared library (a static pattern rule: it wins over the one above).
WALKER_LIB := $(wildcard tests/guest/lib/*.c)
LIB_BINS := $(filter $(addprefix $(TEST_BIN_DIR)/,t_walker_% t_pte_% t_unmap_% t_adv_% \
	t_fuzz_% t_soak bench_%),$(TEST_BINS))

$(LIB_BINS): $(TEST_BIN_DIR)/%: tests/guest/%.c $(WALKER_LIB) $(wildcard tests/guest/*.h) include/reclaimlab_counters.h
	@mkdir -p $(dir $@)
	$(TEST_CC) $(TEST_CFLAGS) -o $@ $< $(WALKER_LIB) -lpthread

lint:
	scripts/lint.sh

# Installs the tools and kernels on first use (root), lints, then boots.
check:
	scripts/install-deps.sh
	scripts/lint.sh
	scripts/check.sh

demo:
	scripts/demo.sh $(filter arm64,$(ARCH))

# Boots each kernel once and measures everything side by side; writes
# BENCHMARKS.md and bench/ (JSON per kernel, charts).
bench:
	scripts/bench.sh

# The whole suite on a lockdep/KASAN/DEBUG_VM 6.12 built from Debian's
# linux-source-6.12 (built once, ~10-18 min on 2 cores; then cached).
check-debug:
	scripts/install-deps.sh 6.12
	scripts/check-debug.sh

# Minutes of all walkers and stock reclaim over a changing workload, then
# unload and leak checks, on every kernel of the matrix (SOAK_SECS=300).
soak:
	scripts/soak.sh

.PHONY: all install clean module tests-bin lint check check-debug demo bench soak
