# actord: one library (common/), one program per folder.
#
#   make            build every program into ./bin/
#   make run        bootstrap, build, run the tree in the foreground (./var/)
#   make test       bootstrap, build, run every test
#   make test SANITIZE=1   the same under ASan + UBSan (build/san/)
#   make bench      the benchmarks under bench/
#   make fuzz       each fuzz target for FUZZ_SECONDS (default 60)
#   make install    PREFIX=/usr/local DESTDIR=
#
# Packages come from scripts/bootstrap.sh; pkg-config finds them.

PREFIX		?= /usr/local
DESTDIR		?=
CC		?= cc

PKGS		:= libevent msgpack sqlite3 inih jansson
PKG_CFLAGS	:= $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS	:= $(shell pkg-config --libs $(PKGS) 2>/dev/null)
GW_LIBS		:= $(shell pkg-config --libs jansson libcrypto 2>/dev/null) \
		   -lwslay -lhttp_parser
CHECK_CFLAGS	:= $(shell pkg-config --cflags check 2>/dev/null)
CHECK_LIBS	:= $(shell pkg-config --libs check 2>/dev/null)

WARN		:= -Wall -Wextra -Wshadow -Wstrict-prototypes \
		   -Wmissing-prototypes -Wpointer-arith -Wcast-qual -Werror
CFLAGS		?= -O2 -g
CFLAGS		+= -std=c11 -D_GNU_SOURCE $(WARN) -Icommon $(PKG_CFLAGS) \
		   -MMD -MP
LDFLAGS		?=

ifeq ($(SANITIZE),1)
BUILD		:= build/san
BINDIR		:= build/san/bin
CFLAGS		+= -fsanitize=address,undefined -fno-omit-frame-pointer \
		   -fno-sanitize-recover=undefined
LDFLAGS		+= -fsanitize=address,undefined
else
BUILD		:= build/rel
BINDIR		:= bin
endif

COMMON_SRC	:= $(wildcard common/*.c)
COMMON_OBJ	:= $(COMMON_SRC:%.c=$(BUILD)/%.o)
LIBCOMMON	:= $(BUILD)/libactord.a

# Each program: its folder's <prog>*.c files.
PROGS		:= actord actorctl coordinator worker eventlog gateway session
src_actord	:= $(filter-out supervisor/actorctl%.c,$(wildcard supervisor/*.c))
src_actorctl	:= $(wildcard supervisor/actorctl*.c)
src_coordinator	:= $(wildcard coordinator/*.c)
src_worker	:= $(wildcard worker/*.c)
src_eventlog	:= $(wildcard eventlog/*.c)
src_gateway	:= $(wildcard gateway/*.c)
src_session	:= $(wildcard session/*.c)
libs_gateway	:= $(GW_LIBS)
libs_session	:= $(GW_LIBS)

BINS		:= $(PROGS:%=$(BINDIR)/%)

TESTS_C		:= $(wildcard tests/check_*.c)
TEST_BINS	:= $(TESTS_C:tests/%.c=$(BUILD)/tests/%)

all: $(BINS)

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(LIBCOMMON): $(COMMON_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

define prog_rule
$(BINDIR)/$(1): $$(src_$(1):%.c=$(BUILD)/%.o) $(LIBCOMMON)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(libs_$(1)) $(PKG_LIBS) -lm
endef
$(foreach p,$(PROGS),$(eval $(call prog_rule,$(p))))

# Unit tests may link the program sources they test (tests/<name>.deps).
$(BUILD)/tests/%: tests/%.c $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CHECK_CFLAGS) -o $@ $< \
	    $(shell cat tests/$*.deps 2>/dev/null) $(LIBCOMMON) \
	    $(GW_LIBS) $(PKG_LIBS) $(CHECK_LIBS) -lm

bootstrap:
	@scripts/bootstrap.sh build

bootstrap-test:
	@scripts/bootstrap.sh test

run: bootstrap
	@$(MAKE) --no-print-directory all
	exec $(BINDIR)/actord

test: bootstrap-test
	@$(MAKE) --no-print-directory all tests
	@BINDIR=$(BINDIR) BUILD=$(BUILD) tests/run-all

tests: $(TEST_BINS)

check: test

bench: all
	@$(MAKE) --no-print-directory -C . bench-bins
	bench/run-all

FUZZ_SECONDS	?= 60
fuzz: bootstrap-test
	@$(MAKE) --no-print-directory -C fuzz run FUZZ_SECONDS=$(FUZZ_SECONDS)

clean:
	rm -rf bin build tests/out fuzz/out

-include $(COMMON_OBJ:.o=.d) $(foreach p,$(PROGS),$(src_$(p):%.c=$(BUILD)/%.d))

.PHONY: all bootstrap bootstrap-test run test tests check bench fuzz clean
