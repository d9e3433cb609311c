# One plain Makefile. `make` builds bin/; `make test` builds an ASan+UBSan tree
# under build/asan and runs every test; `make run` starts a local stack.
# Layout: common/ -> libdm.a (shared by servers and clients: buffers, logging,
# HTTP/WebSocket, auth, and the delivery wire contract evt.c + wire.c, the one
# encoder of what the edge sends); client/ -> libdmclient.a (the client side:
# frame decoding, zstd with dictionaries, frame scanners; built with
# -I client, linked by danmaku-bench, danmaku-watch and the tests, never by
# broadcaster or edge); broadcaster/ edge/ bench/: every .c but main.c goes
# into lib<dir>.a, main.c makes the binary; tools/*.c: one binary each;
# tests/unit/test_*.c: one test binary each, linked with all libs.

PKGS     := libevent hiredis libprotobuf-c libzstd jansson libcrypto
CC       ?= cc
MODE     ?= rel
B        := build/$(MODE)
ifeq ($(MODE),asan)
  OPT    := -O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
  BIN    := $(B)/bin
else
  OPT    := -O2 -g
  BIN    := bin
endif
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)
CFLAGS   ?=
CFLAGS   += -std=gnu11 -Wall -Wextra -Wno-unused-parameter $(OPT) -MMD -MP \
            -I common -I $(B)/gen $(PKG_CFLAGS) \
            -DDM_SHARE_DIR='"$(CURDIR)/proto/zdict"' -DDM_WEB_DIR='"$(CURDIR)/web/dist"'
LDFLAGS  += $(OPT)
LDLIBS   := $(PKG_LIBS) -lm

ifeq ($(V),1)
  Q :=
else
  Q := @
endif

GEN_PB_C := $(B)/gen/danmaku.pb-c.c
GEN_PB_H := $(B)/gen/danmaku.pb-c.h
LUA_SRC  := $(wildcard broadcaster/*.lua)
LUA_HDR  := $(patsubst broadcaster/%.lua,$(B)/gen/%_lua.h,$(LUA_SRC))
GEN_HDRS := $(GEN_PB_H) $(LUA_HDR)

COMMON_SRC := $(wildcard common/*.c)
COMMON_OBJ := $(patsubst %.c,$(B)/%.o,$(COMMON_SRC)) $(B)/gen/danmaku.pb-c.o
APPS       := broadcaster edge bench
lib_objs    = $(patsubst %.c,$(B)/%.o,$(filter-out $(1)/main.c,$(wildcard $(1)/*.c)))
APP_LIBS   := $(foreach a,$(APPS),$(B)/lib$(a).a)
CLIENT_OBJ := $(patsubst %.c,$(B)/%.o,$(wildcard client/*.c))
ALL_LIBS   := $(APP_LIBS) $(B)/libdmclient.a $(B)/libdm.a
TOOLS_SRC  := $(wildcard tools/*.c)
TOOLS      := $(patsubst tools/%.c,$(BIN)/%,$(TOOLS_SRC))
UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BIN   := $(patsubst tests/unit/%.c,$(B)/t/%,$(UNIT_SRC))
PROGS      := $(BIN)/broadcaster $(BIN)/edge $(BIN)/danmaku-bench $(TOOLS)

.PHONY: all test run bench fuzz clean unit deps web
.SECONDARY: $(LUA_HDR) $(patsubst tools/%.c,$(B)/tools/%.o,$(TOOLS_SRC))
all: $(PROGS)

$(GEN_PB_C) $(GEN_PB_H): proto/danmaku.proto
	@mkdir -p $(B)/gen
	@echo "  PROTOC $<"
	$(Q)protoc-c --proto_path=proto --c_out=$(B)/gen $<

$(B)/gen/%_lua.h: broadcaster/%.lua
	@mkdir -p $(B)/gen
	@echo "  LUA2C  $<"
	$(Q){ echo "/* generated from $< */"; echo "static const char $*_lua[] ="; \
	  sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/"/' -e 's/$$/\\n"/' $<; echo ";"; } > $@

$(B)/gen/danmaku.pb-c.o: $(GEN_PB_C) $(GEN_PB_H)
	@echo "  CC     $<"
	$(Q)$(CC) $(CFLAGS) -Wno-extra -c -o $@ $<

$(B)/%.o: %.c | $(GEN_HDRS)
	@mkdir -p $(dir $@)
	@echo "  CC     $<"
	$(Q)$(CC) $(CFLAGS) -c -o $@ $<

$(B)/libdm.a: $(COMMON_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

$(B)/libdmclient.a: $(CLIENT_OBJ)
	$(Q)rm -f $@ && ar rcs $@ $^

# Only client code sees the client headers.
$(B)/client/%.o $(B)/bench/%.o $(B)/tools/%.o $(B)/tests/%.o: CFLAGS += -I client

define APP_RULES
$(B)/lib$(1).a: $(call lib_objs,$(1)) $(B)/gen/danmaku.pb-c.o
	$(Q)rm -f $$@ && ar rcs $$@ $$^
endef
$(foreach a,$(APPS),$(eval $(call APP_RULES,$(a))))

$(BIN)/broadcaster: $(B)/broadcaster/main.o $(B)/libbroadcaster.a $(B)/libdm.a
	@mkdir -p $(dir $@)
	@echo "  LINK   $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BIN)/edge: $(B)/edge/main.o $(B)/libedge.a $(B)/libdm.a
	@mkdir -p $(dir $@)
	@echo "  LINK   $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BIN)/danmaku-bench: $(B)/bench/main.o $(B)/libbench.a $(B)/libdmclient.a $(B)/libdm.a
	@mkdir -p $(dir $@)
	@echo "  LINK   $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BIN)/danmaku-watch: $(B)/tools/danmaku-watch.o $(B)/libdmclient.a $(B)/libdm.a
	@mkdir -p $(dir $@)
	@echo "  LINK   $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(BIN)/%: $(B)/tools/%.o $(ALL_LIBS)
	@mkdir -p $(dir $@)
	@echo "  LINK   $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(ALL_LIBS) $(LDLIBS)

$(B)/t/%: $(B)/tests/unit/%.o $(ALL_LIBS)
	@mkdir -p $(dir $@)
	@echo "  LINK   $@"
	$(Q)$(CC) $(LDFLAGS) -o $@ $< $(ALL_LIBS) $(LDLIBS)

unit: $(UNIT_BIN)

# Install what is missing (Debian 12), as root or through sudo.
deps:
	@scripts/deps.sh

# `make test`: ASan+UBSan build of everything, then every test.
test: deps
	$(Q)$(MAKE) --no-print-directory MODE=asan all unit
	$(Q)tests/run.sh build/asan

run: deps all
	$(Q)$(MAKE) --no-print-directory web || echo "web: viewer page not built (npm?); the edge serves no page"
	$(Q)scripts/run.sh

bench: deps all
	$(Q)scripts/bench.sh

fuzz:
	$(Q)$(MAKE) --no-print-directory -f fuzz/fuzz.mk

# `make web`: the browser client and viewer page into web/dist (npm ci when the lock
# file changed, then the esbuild bundle); needs node and npm (scripts/deps.sh).
WEB_SRC := $(wildcard web/src/*.js web/page/*) web/scripts/build.js web/scripts/gen-proto.js \
           proto/danmaku.proto
web: web/dist/.built

web/node_modules/.ci-stamp: web/package.json web/package-lock.json
	@echo "  NPM    ci (web)"
	$(Q)cd web && npm ci --no-audit --no-fund --loglevel=error
	$(Q)touch $@

web/dist/.built: web/node_modules/.ci-stamp $(WEB_SRC)
	@echo "  BUNDLE web/dist"
	$(Q)cd web && npm run -s build >/dev/null
	$(Q)touch $@

clean:
	rm -rf build bin web/dist web/gen

-include $(shell find $(B) -name '*.d' 2>/dev/null)
