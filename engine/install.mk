# engine/install.mk -- `make -C build install` and `make -C build uninstall`.
#
# premake's gmake generator (premake4's and premake5's) writes no install
# target, so premake5.lua also writes build/GNUmakefile, which GNU make reads
# before build/Makefile. It includes the generated Makefile (so every target
# stays as premake made it), sets the values premake knows (VERSION and
# SOMAJOR from leeway.h, LUA_VERSION, LUA_CMOD_SYSTEM, PC_REQUIRES) and
# includes this file. Paths here are relative to build/.
#
#     make -C build install   [PREFIX=/usr/local] [DESTDIR=] [config=release]
#     make -C build uninstall [the same]
#
# GNU conventions: PREFIX is where the files will live, DESTDIR a staging
# root put in front of every path at install time only (packages). The
# library is told where its installed rule sets are (RULESDIR, without
# DESTDIR), so give the same PREFIX to the build and to the install:
#     make -C build PREFIX=/opt/leeway && make -C build install PREFIX=/opt/leeway

PREFIX       = /usr/local
BINDIR       = $(PREFIX)/bin
LIBDIR       = $(PREFIX)/lib
INCLUDEDIR   = $(PREFIX)/include
DATADIR      = $(PREFIX)/share
MANDIR       = $(DATADIR)/man
PKGCONFIGDIR = $(LIBDIR)/pkgconfig
RULESDIR     = $(DATADIR)/leeway/rules

# The Lua 5.4 module goes where lua5.4 looks without LUA_CPATH: its default
# package.cpath holds /usr/local/lib/lua/5.4/?.so, and for /usr Debian's
# multiarch folder (pkg-config --variable=INSTALL_CMOD lua5.4).
ifeq ($(PREFIX),/usr)
LUA_CMOD     = $(LUA_CMOD_SYSTEM)
else
LUA_CMOD     = $(PREFIX)/lib/lua/$(LUA_VERSION)
endif
# LuaJIT and Lua 5.1 look here first (package.path before package.cpath):
# a leeway.lua that says which Lua versions the module supports.
LUA51_LMOD   = $(DATADIR)/lua/5.1

INSTALL      = install

# Rule sets and function libraries (not the *-check.yaml test playbooks).
RULES := $(notdir $(filter-out %-check.yaml,$(wildcard ../rules/*.yaml ../rules/*.lua)))
MAN1  := leeway.1
MAN3  := leeway.3
MAN5  := leeway-playbook.5

# leeway.pc names folders under PREFIX as ${prefix}/..., so that
# `pkg-config --define-variable=prefix=DIR` can point it at a staged copy.
under_prefix = $(patsubst $(PREFIX)/%,$${prefix}/%,$(1))

# A real install or uninstall (not a staged one) updates the dynamic
# linker's cache. ldconfig is in /sbin, which `su` without `-` leaves off
# PATH.
update_ld_cache = if [ -z "$(DESTDIR)" ]; then PATH="$$PATH:/usr/sbin:/sbin" ldconfig 2>/dev/null || true; fi

.PHONY: install uninstall FORCE

# ---------------------------------------------------------------------------
# The installed rule-set folder, compiled into the library (compile.c). The
# header is rewritten only when it changes, so a new PREFIX recompiles what
# includes it and nothing else.

gen/lw_paths.h: FORCE
	@mkdir -p gen
	@printf '%s\n' '/* written by engine/install.mk from PREFIX: do not edit */' \
	    '#define LW_RULES_DIR "$(RULESDIR)"' >$@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi

leeway_static leeway_shared: gen/lw_paths.h

FORCE:

# ---------------------------------------------------------------------------

install: leeway leeway_static leeway_shared leeway_lua
	$(INSTALL) -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR) $(DESTDIR)$(INCLUDEDIR) \
	    $(DESTDIR)$(PKGCONFIGDIR) $(DESTDIR)$(LUA_CMOD) $(DESTDIR)$(LUA51_LMOD) \
	    $(DESTDIR)$(RULESDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 \
	    $(DESTDIR)$(MANDIR)/man5
	$(INSTALL) -m 755 $(config)/leeway $(DESTDIR)$(BINDIR)/leeway
	$(INSTALL) -m 755 $(config)/libleeway.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libleeway.so.$(VERSION)
	ln -sf libleeway.so.$(VERSION) $(DESTDIR)$(LIBDIR)/libleeway.so.$(SOMAJOR)
	ln -sf libleeway.so.$(SOMAJOR) $(DESTDIR)$(LIBDIR)/libleeway.so
	$(INSTALL) -m 644 $(config)/libleeway.a $(DESTDIR)$(LIBDIR)/libleeway.a
	$(INSTALL) -m 644 ../engine/include/leeway.h $(DESTDIR)$(INCLUDEDIR)/leeway.h
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(call under_prefix,$(LIBDIR))|' \
	    -e 's|@INCLUDEDIR@|$(call under_prefix,$(INCLUDEDIR))|' -e 's|@VERSION@|$(VERSION)|' \
	    -e 's|@REQUIRES@|$(PC_REQUIRES)|' ../engine/leeway.pc.in >$(DESTDIR)$(PKGCONFIGDIR)/leeway.pc
	chmod 644 $(DESTDIR)$(PKGCONFIGDIR)/leeway.pc
	$(INSTALL) -m 755 $(config)/lua/leeway.so $(DESTDIR)$(LUA_CMOD)/leeway.so
	$(INSTALL) -m 644 ../lua/unsupported.lua $(DESTDIR)$(LUA51_LMOD)/leeway.lua
	$(INSTALL) -m 644 $(addprefix ../rules/,$(RULES)) $(DESTDIR)$(RULESDIR)
	$(INSTALL) -m 644 ../docs/man/$(MAN1) $(DESTDIR)$(MANDIR)/man1/$(MAN1)
	$(INSTALL) -m 644 ../docs/man/$(MAN3) $(DESTDIR)$(MANDIR)/man3/$(MAN3)
	$(INSTALL) -m 644 ../docs/man/$(MAN5) $(DESTDIR)$(MANDIR)/man5/$(MAN5)
	@$(update_ld_cache)

# Removes the files install writes, and the leeway folders under share if
# they are then empty. The folders other software shares (bin, lib,
# lib/lua/5.4, share/man/man1, ...) stay, even when install created them and
# they are now empty, as automake's uninstall leaves them: whether another
# program has put a file there since is not ours to know.
uninstall:
	rm -f $(DESTDIR)$(BINDIR)/leeway \
	    $(DESTDIR)$(LIBDIR)/libleeway.so.$(VERSION) \
	    $(DESTDIR)$(LIBDIR)/libleeway.so.$(SOMAJOR) \
	    $(DESTDIR)$(LIBDIR)/libleeway.so \
	    $(DESTDIR)$(LIBDIR)/libleeway.a \
	    $(DESTDIR)$(INCLUDEDIR)/leeway.h \
	    $(DESTDIR)$(PKGCONFIGDIR)/leeway.pc \
	    $(DESTDIR)$(LUA_CMOD)/leeway.so \
	    $(DESTDIR)$(LUA51_LMOD)/leeway.lua \
	    $(addprefix $(DESTDIR)$(RULESDIR)/,$(RULES)) \
	    $(DESTDIR)$(MANDIR)/man1/$(MAN1) \
	    $(DESTDIR)$(MANDIR)/man3/$(MAN3) \
	    $(DESTDIR)$(MANDIR)/man5/$(MAN5)
	rmdir $(DESTDIR)$(RULESDIR) $(DESTDIR)$(DATADIR)/leeway 2>/dev/null || true
	@$(update_ld_cache)
