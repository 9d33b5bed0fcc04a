# gcu: one plain Makefile for the whole tree.
#
# lib/*.c builds libgcu.a, lib/sim/*.c builds libgcusim.a (the simulator's
# logic, the only code that needs libmicrohttpd), every stages/gcu-*.c is one
# program in bin/, and every tests/unit/test_*.c is one TAP program run by
# prove. The same rules build an AddressSanitizer + UBSan tree under
# build/asan when `make check-asan` sets BUILD and the flags.

PREFIX   ?= /usr/local
BUILD    ?= build
BIN      ?= bin
CC       ?= cc
CFLAGS   ?= -O2 -g
WARN      = -std=c11 -Wall -Wextra -Wshadow -Wformat=2 -Wstrict-prototypes \
            -Wmissing-prototypes -Wvla -Wno-missing-field-initializers
DEPFLAGS  = -MMD -MP
PKGS      = libcurl json-c yaml-0.1
SIMPKGS   = libmicrohttpd
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS) $(SIMPKGS) 2>/dev/null)
PKG_LIBS   = $(shell pkg-config --libs $(PKGS) 2>/dev/null) -lcsv -lm
SIM_LIBS   = $(shell pkg-config --libs $(SIMPKGS) 2>/dev/null)
ALL_CPPFLAGS = -D_GNU_SOURCE -Ilib -Istages $(PKG_CFLAGS) $(CPPFLAGS)
ALL_CFLAGS   = $(WARN) $(CFLAGS)

# Debian packages the build and the tests need, each with a probe.
DEB_PACKAGES = libcurl4-openssl-dev:libcurl libjson-c-dev:json-c \
               libyaml-dev:yaml-0.1 libmicrohttpd-dev:libmicrohttpd \
               libcsv-dev:/usr/include/csv.h pkg-config:/usr/bin/pkg-config \
               bats:/usr/bin/bats jq:/usr/bin/jq curl:/usr/bin/curl \
               gnuplot-nox:/usr/bin/gnuplot perl:/usr/bin/prove \
               clang:/usr/bin/clang \
               libclang-rt-14-dev:/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.asan-x86_64.a
LINT_PACKAGES = cppcheck:/usr/bin/cppcheck clang-tidy:/usr/bin/clang-tidy \
                shellcheck:/usr/bin/shellcheck clang-format:/usr/bin/clang-format

LIB_SRC   = $(sort $(wildcard lib/*.c))
SIM_SRC   = $(sort $(wildcard lib/sim/*.c))
STAGE_SRC = $(sort $(wildcard stages/gcu-*.c))
# What the stages' main()s share and lib/ may not hold: it prints and exits.
MAIN_SRC  = stages/stage_main.c
UNIT_SRC  = $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRC  = $(sort $(wildcard tests/fuzz/fuzz_*.c))

LIB_OBJ   = $(LIB_SRC:%.c=$(BUILD)/%.o)
MAIN_OBJ  = $(MAIN_SRC:%.c=$(BUILD)/%.o)
SIM_OBJ   = $(SIM_SRC:%.c=$(BUILD)/%.o)
PROGRAMS  = $(STAGE_SRC:stages/%.c=$(BIN)/%) \
            $(patsubst stages/%.sh,$(BIN)/%,$(wildcard stages/gcu-*.sh))
UNITS     = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/t/%.t)
MANPAGES  = $(sort $(wildcard man/*.1))
DEPS_OK   = $(BUILD)/.deps-ok

.PHONY: all deps test unit cli check-asan lint format install uninstall \
        clean demo bench bench-offline bench-sim bench-send bench-compare bench-cost bench-resolve \
        bench-groups bench-pacing \
        test-faults \
        fuzz fuzz-replay
all: $(PROGRAMS)

# Keep objects that only feed a program, so that a rebuild is incremental.
.SECONDARY:

# --- dependencies ---------------------------------------------------------
deps:
	@rm -f $(DEPS_OK)
	@$(MAKE) --no-print-directory $(DEPS_OK)

$(DEPS_OK):
	@missing=""; \
	for pair in $(DEB_PACKAGES) $(if $(LINT),$(LINT_PACKAGES)) $(if $(BENCH),$(BENCH_PACKAGES)); do \
	  pkg=$${pair%%:*}; probe=$${pair#*:}; \
	  case $$probe in \
	    /*) [ -e "$$probe" ] || missing="$$missing $$pkg" ;; \
	    *) pkg-config --exists "$$probe" 2>/dev/null || missing="$$missing $$pkg" ;; \
	  esac; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "deps: installing$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	      apt-get install -y -qq$$missing >/dev/null || exit 1; \
	  else \
	    echo "deps: missing$$missing; run as root:"; \
	    echo "  apt-get install -y$$missing"; exit 1; \
	  fi; \
	else echo "deps: all present"; fi
	@mkdir -p $(@D) && touch $@

# --- build ----------------------------------------------------------------
$(BUILD)/%.o: %.c | $(DEPS_OK)
	@mkdir -p $(@D)
	$(CC) $(ALL_CPPFLAGS) $(ALL_CFLAGS) $(DEPFLAGS) -c $< -o $@

$(BUILD)/libgcu.a: $(LIB_OBJ)
	$(AR) rcs $@ $^

$(BUILD)/libgcusim.a: $(SIM_OBJ)
	$(AR) rcs $@ $^

$(BIN)/gcu-sim: $(BUILD)/stages/gcu-sim.o $(BUILD)/libgcusim.a $(BUILD)/libgcu.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(SIM_LIBS) $(PKG_LIBS)

$(BIN)/gcu-%: $(BUILD)/stages/gcu-%.o $(MAIN_OBJ) $(BUILD)/libgcu.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

# The shell stages source lib/*.sh from beside them, as installed
# (share/gcu) or built (BIN), wherever BIN is.
SH_LIBS = $(wildcard lib/*.sh)
$(BIN)/%: stages/%.sh $(SH_LIBS:lib/%=$(BIN)/%)
	@mkdir -p $(@D)
	cp $< $@ && chmod +x $@

$(BIN)/%.sh: lib/%.sh
	@mkdir -p $(@D)
	cp $< $@ && chmod 644 $@

$(BUILD)/t/%.t: $(BUILD)/tests/unit/%.o $(MAIN_OBJ) $(BUILD)/libgcusim.a $(BUILD)/libgcu.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(SIM_LIBS) $(PKG_LIBS)

-include $(LIB_OBJ:.o=.d) $(SIM_OBJ:.o=.d) $(MAIN_OBJ:.o=.d) $(STAGE_SRC:%.c=$(BUILD)/%.d) \
         $(UNIT_SRC:%.c=$(BUILD)/%.d) $(FUZZ_SRC:%.c=$(BUILD)/%.d)

# --- tests ----------------------------------------------------------------
# One suite after the other, even under -j: the network tests measure
# pacing, and running two suites at once on two cores would skew them.
test:
	$(MAKE) unit
	$(MAKE) fuzz-replay
	$(MAKE) cli

# test_auth runs its token exchange against the real gcu-sim: build it
# first, or the clean checkout CI starts from would only skip that part.
unit: $(UNITS) $(BIN)/gcu-sim
	cd tests/unit && GCU_SIM=$(CURDIR)/$(BIN)/gcu-sim prove -f -e '' $(addprefix $(CURDIR)/,$(UNITS))

cli: $(PROGRAMS)
	GCU_BIN=$(CURDIR)/$(BIN) bats tests/cli

check-asan:
	$(MAKE) BUILD=build/asan BIN=build/asan/bin CC=clang \
	  CFLAGS="-O1 -g -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer" \
	  LDFLAGS="-fsanitize=address,undefined" \
	  ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 test

test-faults: $(PROGRAMS)
	GCU_BIN=$(CURDIR)/$(BIN) bats tests/faults

# --- fuzzing (clang, libFuzzer) ---------------------------------------------
# `make fuzz` builds every tests/fuzz/fuzz_*.c against the library compiled
# for coverage and runs each for FUZZ_TIME seconds from its seeds in
# tests/fuzz/corpus/<target>/; what it learns stays in build/fuzz/learned,
# crashes land in build/fuzz/crashes (copy one into the corpus to keep it
# as a regression). `make fuzz-replay` (part of `make test`) feeds the
# corpus to each target once, without libFuzzer, with the usual compiler.
FUZZ_TIME    ?= 60
FUZZ_BUILD    = build/fuzz
FUZZ_FLAGS    = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined
FUZZ_LIB_OBJ  = $(LIB_SRC:%.c=$(FUZZ_BUILD)/%.o)
FUZZ_TARGETS  = $(FUZZ_SRC:tests/fuzz/%.c=$(FUZZ_BUILD)/%)
REPLAYS       = $(FUZZ_SRC:tests/fuzz/fuzz_%.c=$(BUILD)/fuzz/replay_%)

$(FUZZ_BUILD)/lib/%.o: lib/%.c | $(DEPS_OK)
	@mkdir -p $(@D)
	clang $(ALL_CPPFLAGS) -std=c11 $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -c $< -o $@

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_LIB_OBJ)
	clang $(ALL_CPPFLAGS) -std=c11 $(FUZZ_FLAGS) -fsanitize=fuzzer $^ -o $@ $(PKG_LIBS)

fuzz: $(FUZZ_TARGETS)
	@for t in $(FUZZ_TARGETS); do n=$${t##*/fuzz_}; \
	  mkdir -p $(FUZZ_BUILD)/learned/$$n $(FUZZ_BUILD)/crashes; \
	  echo "fuzz: $$n for $(FUZZ_TIME) s"; \
	  $$t -max_total_time=$(FUZZ_TIME) -timeout=10 -max_len=8192 -print_final_stats=1 \
	    -artifact_prefix=$(FUZZ_BUILD)/crashes/$$n- \
	    $(FUZZ_BUILD)/learned/$$n tests/fuzz/corpus/$$n 2>$(FUZZ_BUILD)/$$n.log || \
	    { tail -40 $(FUZZ_BUILD)/$$n.log; exit 1; }; \
	done

$(BUILD)/fuzz/replay_%: $(BUILD)/tests/fuzz/fuzz_%.o $(BUILD)/tests/fuzz/replay.o $(BUILD)/libgcu.a
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@ $^ $(PKG_LIBS)

fuzz-replay: $(REPLAYS)
	@for r in $(REPLAYS); do n=$${r##*/replay_}; \
	  $$r tests/fuzz/corpus/$$n >$(BUILD)/fuzz/$$n.tap || \
	    { cat $(BUILD)/fuzz/$$n.tap; echo "fuzz-replay: $$n failed"; exit 1; }; \
	done; echo "fuzz-replay: corpus replayed through $(words $(REPLAYS)) targets"

# --- lint -----------------------------------------------------------------
C_FILES  = $(LIB_SRC) $(SIM_SRC) $(MAIN_SRC) $(STAGE_SRC) $(UNIT_SRC) $(FUZZ_SRC) \
           $(wildcard lib/*.h lib/sim/*.h stages/*.h tests/unit/*.h bench/*.c)
SH_FILES = run.sh $(wildcard lib/*.sh stages/*.sh bench/*.sh bench/peers/*.sh tests/cli/*.bash \
           tests/faults/*.bash bench/*.bash .ci/run)

lint: | $(DEPS_OK)
	@$(MAKE) --no-print-directory LINT=1 deps
	cppcheck --quiet --error-exitcode=1 --std=c11 --enable=warning,portability,performance \
	  --inline-suppr --suppress=missingIncludeSystem -Ilib -Istages $(LIB_SRC) $(SIM_SRC) $(MAIN_SRC) $(STAGE_SRC)
	clang-tidy --quiet $(LIB_SRC) $(SIM_SRC) $(MAIN_SRC) $(STAGE_SRC) -- $(ALL_CPPFLAGS) -std=c11
	shellcheck -x $(SH_FILES)
	clang-format --dry-run --Werror $(C_FILES)

format:
	clang-format -i $(C_FILES)

# --- install --------------------------------------------------------------
install: $(PROGRAMS)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 \
	  $(DESTDIR)$(PREFIX)/share/gcu
	install -m 755 $(PROGRAMS) $(DESTDIR)$(PREFIX)/bin/
	install -m 755 run.sh $(DESTDIR)$(PREFIX)/bin/gcu-run
	install -m 644 $(MANPAGES) $(DESTDIR)$(PREFIX)/share/man/man1/
	install -m 644 $(SH_LIBS) config/gcu.yaml testdata/org.ndjson testdata/changes.csv testdata/hr-export.csv \
	  $(DESTDIR)$(PREFIX)/share/gcu/

uninstall:
	cd $(DESTDIR)$(PREFIX)/bin && rm -f $(notdir $(PROGRAMS)) gcu-run
	cd $(DESTDIR)$(PREFIX)/share/man/man1 && rm -f $(notdir $(MANPAGES))
	rm -rf $(DESTDIR)$(PREFIX)/share/gcu

clean:
	rm -rf $(BUILD) $(BIN) build

# --- demo and benchmarks --------------------------------------------------
demo: $(PROGRAMS)
	@./run.sh --demo testdata/hr-export.csv

# Each bench-NAME target runs bench/NAME.sh, which prints one markdown
# section, into bench/results/NAME.md through a temp file (so that a failed
# or interrupted run leaves the old section in place), then bench/assemble.sh
# writes bench/RESULTS.md from bench/results/. `make bench` fits in 15
# minutes on 2 cores, bench-compare taking most of it; bench-offline times
# 500,000 records once unless given N= and RUNS= (the published figures
# are N=1000000 RUNS=2). bench-send, gcu-send's own scenarios, is apart; so
# are bench-resolve, gcu-resolve next to a search per user (2 minutes),
# bench-groups, the requests of a reorganisation, and bench-pacing (some
# 20 minutes): the pacer against rounded resets, a wrong window, no
# headers and a proxy's limiter.
# One after the other even under -j: each one measures the machine alone.
bench: $(PROGRAMS)
	@$(MAKE) --no-print-directory bench-offline
	@$(MAKE) --no-print-directory bench-sim
	@$(MAKE) --no-print-directory bench-compare
	@$(MAKE) --no-print-directory bench-cost

# The peers' packages come from Debian; only the benchmark needs them.
BENCH_PACKAGES = python3-aiohttp:/usr/lib/python3/dist-packages/aiohttp \
                 python3-tenacity:/usr/lib/python3/dist-packages/tenacity \
                 wrk:/usr/bin/wrk time:/usr/bin/time valgrind:/usr/bin/valgrind

# bench-section NAME: bench/NAME.sh into bench/results/NAME.md, then
# bench/RESULTS.md.
define bench-section
@$(MAKE) --no-print-directory BENCH=1 deps
@mkdir -p bench/results
@tmp=$$(mktemp bench/results/.$(1).md.XXXXXX) || exit 1; \
	trap 'rm -f "$$tmp"' EXIT; trap 'exit 130' INT TERM; \
	echo "bench/$(1).sh >bench/results/$(1).md"; \
	bench/$(1).sh >"$$tmp" && chmod 644 "$$tmp" && mv "$$tmp" bench/results/$(1).md
bench/assemble.sh
endef

# bench-NAME runs bench/NAME.sh; bench-groups is what a reorganisation of
# 2,000 users costs in requests (queue, team and division changes in group
# requests), next to a request per change.
BENCH_SECTIONS = offline sim send compare cost resolve groups pacing
$(addprefix bench-,$(BENCH_SECTIONS)): bench-%: $(PROGRAMS)
	$(call bench-section,$*)
