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
# The session's sandbox (session/sandbox.c) and its test.
SECCOMP_LIBS	:= $(shell pkg-config --libs libseccomp 2>/dev/null)
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
PROGS		:= actord actorctl coordinator worker eventlog gateway session link
src_actord	:= $(filter-out supervisor/actorctl%.c,$(wildcard supervisor/*.c))
src_actorctl	:= $(wildcard supervisor/actorctl*.c)
src_coordinator	:= $(wildcard coordinator/*.c)
src_worker	:= $(wildcard worker/*.c)
src_eventlog	:= $(wildcard eventlog/*.c)
src_gateway	:= $(wildcard gateway/*.c)
src_session	:= $(wildcard session/*.c)
src_link	:= $(wildcard link/*.c)
libs_gateway	:= $(GW_LIBS)
libs_session	:= $(GW_LIBS) $(SECCOMP_LIBS)
# The cluster's link is the one program that speaks NATS.
libs_link	:= $(shell pkg-config --libs libnats 2>/dev/null) -lpthread

BINS		:= $(PROGS:%=$(BINDIR)/%)

# Each tests/check_<module>.c defines suite(); tests/check_main.c is the
# main() they share.
TEST_MAIN	:= $(BUILD)/tests/check_main.o
TESTS_C		:= $(filter-out tests/check_main.c,$(wildcard tests/check_*.c))
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
# Every symbol of the session bound when the zygote starts (-z now), not
# on first use in each session, which would copy the page it writes: a
# session takes 25% fewer page faults and 50 us less CPU (docs/gateway.md).
$(BINDIR)/session: LDFLAGS += -Wl,-z,now

# Unit tests may link the program sources they test (tests/<name>.deps)
# and the libraries those need (libs_test_<name>); a change to one of those
# sources rebuilds the test.  check_regress includes the fuzz targets' code.
libs_test_check_sandbox	:= $(SECCOMP_LIBS)
$(TEST_MAIN): CFLAGS += $(CHECK_CFLAGS)
.SECONDEXPANSION:
$(BUILD)/tests/%: tests/%.c $$(shell cat tests/$$*.deps 2>/dev/null) \
    $(TEST_MAIN) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(CHECK_CFLAGS) -o $@ $< \
	    $(shell cat tests/$*.deps 2>/dev/null) $(TEST_MAIN) $(LIBCOMMON) \
	    $(libs_test_$*) $(GW_LIBS) $(PKG_LIBS) $(CHECK_LIBS) -lm

# A session process running an attacker's code, for tests/it_security.sh:
# the gateway runs it as a session; it links the session's sandbox.
PROBE		:= $(BUILD)/tests/probe_session
$(PROBE): tests/probe_session.c $(BUILD)/session/sandbox.o $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< $(BUILD)/session/sandbox.o \
	    $(LIBCOMMON) $(SECCOMP_LIBS) $(GW_LIBS) $(PKG_LIBS) -lm

tests: $(PROBE)

# Raw bytes onto a NATS subject, for the cluster tests' bad input.
NATS_PUB	:= $(BUILD)/tests/nats_pub
$(NATS_PUB): tests/nats_pub.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $< \
	    $(shell pkg-config --libs libnats 2>/dev/null) -lpthread

tests: $(NATS_PUB)

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

$(BUILD)/tests/check_regress: $(wildcard fuzz/fuzz_*.c session/*.h \
    gateway/*.h)

check: test

# The Check unit tests under Valgrind's memcheck (no leak, no bad access).
valgrind: bootstrap-test
	@$(MAKE) --no-print-directory all tests
	@VALGRIND=1 ONLY='^check_' BINDIR=$(BINDIR) BUILD=$(BUILD) tests/run-all

bench: all
	bench/run-all

FUZZ_SECONDS	?= 60
fuzz: bootstrap-test
	@$(MAKE) --no-print-directory -C fuzz run FUZZ_SECONDS=$(FUZZ_SECONDS)

# The dashboard's copy of the client-visible message catalogue
# (web/js/catalogue.js) is printed by a program over the library and the
# worker's task table: `make catalogue` rewrites it, and
# tests/web/catalogue.test.mjs fails while it differs.  Built with the
# tests, not installed.
GEN_CATALOGUE	:= $(BUILD)/scripts/gen-catalogue
src_gen_catalogue := scripts/gen-catalogue.c worker/worker_tasks.c
$(GEN_CATALOGUE): $(src_gen_catalogue:%.c=$(BUILD)/%.o) $(LIBCOMMON)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(PKG_LIBS) -lm

tests: $(GEN_CATALOGUE)

catalogue: $(GEN_CATALOGUE)
	$(GEN_CATALOGUE) >web/js/catalogue.js.tmp
	mv web/js/catalogue.js.tmp web/js/catalogue.js

-include $(wildcard $(BUILD)/scripts/*.d)

.PHONY: catalogue

clean:
	rm -rf bin build tests/out fuzz/out

-include $(COMMON_OBJ:.o=.d) $(foreach p,$(PROGS),$(src_$(p):%.c=$(BUILD)/%.d))
-include $(wildcard $(BUILD)/tests/*.d)

.PHONY: all bootstrap bootstrap-test run test tests check valgrind bench fuzz \
    clean

# --- install, uninstall ------------------------------------------------------
#
#   make install   [PREFIX=/usr/local] [DESTDIR=] [sbindir=...] ...
#   make uninstall (the same variables as the install)
#
# The directories are the GNU ones, spelled in lower case as the GNU coding
# standards spell them, because BINDIR above is where the build puts its
# programs: `make install BINDIR=...` would move the build, not the install.
# Configuration goes to /etc when PREFIX is /usr (a distribution's layout),
# else to $(PREFIX)/etc, as autoconf does.  State and sockets are always
# /var/lib/actord and /run/actord: that is where the unit's StateDirectory=
# and RuntimeDirectory= put them.  Generated files are made in $(STAGE) on
# every install, so a second install with another PREFIX is never stale.

exec_prefix	?= $(PREFIX)
bindir		?= $(exec_prefix)/bin
sbindir		?= $(exec_prefix)/sbin
libexecdir	?= $(exec_prefix)/libexec
datadir		?= $(PREFIX)/share
sysconfdir	?= $(if $(filter /usr,$(PREFIX)),/etc,$(PREFIX)/etc)
mandir		?= $(datadir)/man
unitdir		?= $(PREFIX)/lib/systemd/system
bashcompdir	?= $(datadir)/bash-completion/completions
INSTALL		?= install

STATE_DIR	:= /var/lib/actord
RUN_DIR		:= /run/actord
PROGDIR		 = $(libexecdir)/actord
WEBDIR		 = $(datadir)/actord/web
CONFDIR		 = $(sysconfdir)/actord
CONF		 = $(CONFDIR)/actord.conf
SAMPLE		 = $(datadir)/actord/actord.conf.sample
CHILD_PROGS	:= coordinator worker eventlog gateway session link
WEB_FILES	:= $(patsubst web/%,%,$(shell find web -type f ! -name '*.md' \
		   2>/dev/null | sort))
STAGE		:= $(BUILD)/dist
VERSION		:= $(shell sed -n 's/.*ACTORD_VERSION[^"]*"\(.*\)".*/\1/p' \
		   common/version.h)

SUBST		 = sed -e 's|@bindir@|$(bindir)|g' -e 's|@sbindir@|$(sbindir)|g' \
		   -e 's|@libexecdir@|$(libexecdir)|g' \
		   -e 's|@datadir@|$(datadir)|g' \
		   -e 's|@sysconfdir@|$(sysconfdir)|g' \
		   -e 's|@mandir@|$(mandir)|g' -e 's|@unitdir@|$(unitdir)|g' \
		   -e 's|@bashcompdir@|$(bashcompdir)|g' \
		   -e 's|@statedir@|$(STATE_DIR)|g' -e 's|@rundir@|$(RUN_DIR)|g' \
		   -e 's|@version@|$(VERSION)|g'

# The sample config is `actord -p` over a config that sets the installed
# paths, so it cannot drift from the code; actord.conf(5)'s key list is
# `actord -p` too.  Every generated file is checked before it is kept.
dist-files: all
	@mkdir -p $(STAGE)
	@echo "GEN $(STAGE): sample config, man pages, units"
	@printf '[actord]\nstate_dir = %s\nrun_dir = %s\nprogram_dir = %s\nweb_dir = %s\n' \
	    '$(STATE_DIR)' '$(RUN_DIR)' '$(PROGDIR)' '$(WEBDIR)' \
	    >$(STAGE)/paths.conf
	@$(BINDIR)/actord -p -c $(STAGE)/paths.conf | \
	    awk -v conf='$(CONF)' -f dist/sample-conf.awk \
	    $(STAGE)/paths.conf - >$(STAGE)/actord.conf
	@$(BINDIR)/actord -n -c $(STAGE)/actord.conf >/dev/null
	@$(BINDIR)/actord -p | awk -f man/conf-keys.awk >$(STAGE)/keys.mdoc
	@sed -e '/^@KEYS@$$/{r $(STAGE)/keys.mdoc' -e 'd;}' \
	    man/actord.conf.5.in | $(SUBST) >$(STAGE)/actord.conf.5
	@$(SUBST) man/actord.8.in >$(STAGE)/actord.8
	@$(SUBST) man/actorctl.8.in >$(STAGE)/actorctl.8
	@$(SUBST) dist/actord.service.in >$(STAGE)/actord.service
	@cp dist/actord.socket $(STAGE)/actord.socket
	@! grep -n '@[a-z]*@' $(STAGE)/actord.8 $(STAGE)/actorctl.8 \
	    $(STAGE)/actord.conf.5 $(STAGE)/actord.service || \
	    { echo 'dist-files: an @name@ was not substituted' >&2; exit 1; }

install: dist-files
	$(INSTALL) -d $(DESTDIR)$(sbindir) $(DESTDIR)$(bindir) \
	    $(DESTDIR)$(PROGDIR) $(DESTDIR)$(WEBDIR) $(DESTDIR)$(CONFDIR) \
	    $(DESTDIR)$(mandir)/man5 $(DESTDIR)$(mandir)/man8 \
	    $(DESTDIR)$(unitdir)
	$(INSTALL) -m 0755 $(BINDIR)/actord $(DESTDIR)$(sbindir)/actord
	$(INSTALL) -m 0755 $(BINDIR)/actorctl $(DESTDIR)$(bindir)/actorctl
	$(INSTALL) -m 0755 $(CHILD_PROGS:%=$(BINDIR)/%) $(DESTDIR)$(PROGDIR)/
	for f in $(WEB_FILES); do \
	    $(INSTALL) -D -m 0644 web/$$f $(DESTDIR)$(WEBDIR)/$$f || exit 1; \
	done
	$(INSTALL) -m 0644 $(STAGE)/actord.conf $(DESTDIR)$(SAMPLE)
	@if [ -e $(DESTDIR)$(CONF) ]; then \
	    echo "install: keeping the existing $(DESTDIR)$(CONF);" \
	        "the new sample is $(DESTDIR)$(SAMPLE)"; \
	else \
	    echo "$(INSTALL) -m 0644 $(STAGE)/actord.conf $(DESTDIR)$(CONF)"; \
	    $(INSTALL) -m 0644 $(STAGE)/actord.conf $(DESTDIR)$(CONF); \
	fi
	$(INSTALL) -m 0644 $(STAGE)/actord.8 $(STAGE)/actorctl.8 \
	    $(DESTDIR)$(mandir)/man8/
	$(INSTALL) -m 0644 $(STAGE)/actord.conf.5 $(DESTDIR)$(mandir)/man5/
	$(INSTALL) -m 0644 $(STAGE)/actord.service $(STAGE)/actord.socket \
	    $(DESTDIR)$(unitdir)/
	$(INSTALL) -D -m 0644 dist/actorctl.bash \
	    $(DESTDIR)$(bashcompdir)/actorctl

# Removes what install put there.  The config goes only if it is still the
# sample that install wrote; an edited one stays, and so do /var/lib/actord
# (the databases: systemd's StateDirectory=) and the shared directories
# (sbin, bin, man8, ...).  Stop and disable the units first.
uninstall:
	@if [ -f $(DESTDIR)$(CONF) ] && [ -f $(DESTDIR)$(SAMPLE) ] && \
	    cmp -s $(DESTDIR)$(CONF) $(DESTDIR)$(SAMPLE); then \
	    echo "rm -f $(DESTDIR)$(CONF)"; rm -f $(DESTDIR)$(CONF); \
	elif [ -e $(DESTDIR)$(CONF) ]; then \
	    echo "uninstall: keeping $(DESTDIR)$(CONF): it differs from" \
	        "the installed sample"; \
	fi
	rm -f $(DESTDIR)$(sbindir)/actord $(DESTDIR)$(bindir)/actorctl
	rm -f $(CHILD_PROGS:%=$(DESTDIR)$(PROGDIR)/%)
	rm -f $(WEB_FILES:%=$(DESTDIR)$(WEBDIR)/%) $(DESTDIR)$(SAMPLE)
	rm -f $(DESTDIR)$(mandir)/man8/actord.8 \
	    $(DESTDIR)$(mandir)/man8/actorctl.8 \
	    $(DESTDIR)$(mandir)/man5/actord.conf.5
	rm -f $(DESTDIR)$(unitdir)/actord.service \
	    $(DESTDIR)$(unitdir)/actord.socket
	rm -f $(DESTDIR)$(bashcompdir)/actorctl
	[ ! -d $(DESTDIR)$(WEBDIR) ] || \
	    find $(DESTDIR)$(WEBDIR) -depth -type d -empty -delete
	for d in $(DESTDIR)$(PROGDIR) $(DESTDIR)$(datadir)/actord \
	    $(DESTDIR)$(CONFDIR); do \
	    [ ! -d $$d ] || rmdir $$d 2>/dev/null || true; \
	done

.PHONY: dist-files install uninstall
