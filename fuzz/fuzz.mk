# fuzz/fuzz.mk — libFuzzer targets (clang, -fsanitize=fuzzer,address,undefined).
# `make fuzz` (= make -f fuzz/fuzz.mk) builds every target into build/fuzz and
# runs each for FUZZ_SECONDS (default 60), one after the other. Targets:
#   run (default)  build + run every target for FUZZ_SECONDS
#   smoke          the same with FUZZ_SECONDS=5 (make test runs its own short
#                  pass over the same targets: tests/run.sh, FUZZ_SMOKE_SECONDS)
#   build          only build
#   run-<name>     run one target (e.g. make -f fuzz/fuzz.mk run-kw FUZZ_SECONDS=600)
# Seeds come from fuzz/corpus/<name>/ (read only); new inputs go to
# build/fuzz/corpus/<name>/ and crashes to build/fuzz/crash-<name>-*.

CLANG        ?= clang
FUZZ_SECONDS ?= 60
FUZZ_FLAGS   ?= -timeout=10 -rss_limit_mb=2048 -max_len=8192
FB           := build/fuzz
PKGS         := libevent hiredis libprotobuf-c libzstd jansson libcrypto
PKG_CFLAGS   := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS     := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
SAN          := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FCFLAGS      := -std=gnu11 -g -O1 -fno-omit-frame-pointer $(SAN) -fsanitize=fuzzer-no-link \
                -Wall -Wextra -Wno-unused-parameter -I common -I client -I $(FB)/gen $(PKG_CFLAGS) \
                -DDM_SHARE_DIR='"$(CURDIR)/proto/zdict"'
FLDFLAGS     := $(SAN) -fsanitize=fuzzer

NAMES   := ws_frame http pb kw contact jwt bc_decode
BINS    := $(patsubst %,$(FB)/fuzz_%,$(NAMES))
LIB_SRC := $(wildcard common/*.c) $(wildcard client/*.c) broadcaster/kw.c broadcaster/kw_build.c broadcaster/contact.c \
           broadcaster/bc_decode.c
LIB_OBJ := $(patsubst %.c,$(FB)/%.o,$(LIB_SRC)) $(FB)/gen/danmaku.pb-c.o

ifeq ($(V),1)
  Q :=
else
  Q := @
endif

.PHONY: run smoke build
.SECONDARY:
run: build $(addprefix run-,$(NAMES))

smoke:
	$(Q)$(MAKE) --no-print-directory -f fuzz/fuzz.mk run FUZZ_SECONDS=5

build: $(BINS)

$(FB)/gen/danmaku.pb-c.c $(FB)/gen/danmaku.pb-c.h: proto/danmaku.proto
	@mkdir -p $(FB)/gen
	@echo "  PROTOC $<"
	$(Q)protoc-c --proto_path=proto --c_out=$(FB)/gen $<

$(FB)/gen/danmaku.pb-c.o: $(FB)/gen/danmaku.pb-c.c
	$(Q)$(CLANG) $(FCFLAGS) -Wno-extra -c -o $@ $<

$(FB)/%.o: %.c $(FB)/gen/danmaku.pb-c.h
	@mkdir -p $(dir $@)
	@echo "  CLANG  $<"
	$(Q)$(CLANG) $(FCFLAGS) -MMD -MP -c -o $@ $<

$(FB)/libfuzzdm.a: $(LIB_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

$(FB)/fuzz_%: $(FB)/fuzz/fuzz_%.o $(FB)/libfuzzdm.a
	@echo "  LINK   $@"
	$(Q)$(CLANG) $(FLDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

# One target at a time (2 shared cores): nice, bounded, stats at the end.
run-%: $(FB)/fuzz_%
	@mkdir -p $(FB)/corpus/$*
	@echo "== fuzz_$* for $(FUZZ_SECONDS)s"
	$(Q)nice -n 19 $(FB)/fuzz_$* $(FUZZ_FLAGS) -max_total_time=$(FUZZ_SECONDS) \
	  -print_final_stats=1 -artifact_prefix=$(FB)/crash-$*- \
	  $(FB)/corpus/$* $(wildcard fuzz/corpus/$*) 2>$(FB)/fuzz_$*.log \
	  || { tail -60 $(FB)/fuzz_$*.log; exit 1; }
	@grep -E '^stat::number_of_executed_units|^stat::peak_rss_mb' $(FB)/fuzz_$*.log | tr '\n' ' '; echo

-include $(shell find $(FB) -name '*.d' 2>/dev/null)
