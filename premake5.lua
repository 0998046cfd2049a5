-- leeway build.
--
-- Works with real premake5 (`premake5 gmake`) and with Debian's premake4 4.3
-- (`premake4 --file=premake5.lua gmake`), which is all a fresh Debian machine
-- can install. Only the API both understand is used unguarded; the rest is
-- switched on PM5 (see shared/BUILD-NOTES.md). Compiler flags are plain GCC
-- flags in buildoptions so the optimize/warnings/cdialect/sanitize APIs, which
-- differ between versions, are never needed.
--
--   make -C build config=release     (also: debug, sanitize)
--   make -C build install            (PREFIX=/usr/local, DESTDIR; uninstall)
--
-- Everything the build writes lands under build/: makefiles in build/,
-- binaries in build/<config>/, objects in build/obj/<config>/<project>/.

local PM5 = (premake.api ~= nil)

-- ---------------------------------------------------------------------------
-- Helpers for the parts that differ between premake4 and premake5

-- Scope the following settings to one configuration (nil: all of them).
local function when(cfgname)
    if PM5 then
        if cfgname then filter("configurations:" .. cfgname) else filter {} end
    else
        if cfgname then configuration(cfgname) else configuration {} end
    end
end

-- Keep symbols: without this both generators add -s to the link line even
-- when -g is in buildoptions.
local function keep_symbols()
    if PM5 then symbols "On" else flags { "Symbols" } end
end

-- Standard output of a shell command, or "" if it failed.
-- premake5: os.outputof, which appends 2>&1 itself and, depending on the
-- version, returns nil or exit code -1 on failure. premake4: io.popen, whose
-- close() (Lua 5.1) reports no exit status, so stderr is dropped and empty
-- output is the failure signal.
local function shell(cmd)
    local out
    if PM5 and os.outputof then
        local code
        out, code = os.outputof(cmd)
        if code == -1 then out = nil end
    else
        local f = io.popen(cmd .. " 2>/dev/null")
        if f then
            out = f:read("*a")
            f:close()
        end
    end
    return ((out or ""):gsub("%s+$", ""))
end

local function split(s)
    local t = {}
    for w in s:gmatch("%S+") do t[#t + 1] = w end
    return t
end

-- One pkg-config package, queried on its own (so e.g. -llua5.4 is added only
-- where lua5.4 is asked for). Returns { cflags = {...}, libs = {...},
-- ldflags = {...} }: -l names go to links() so they come after the objects
-- and the static library on the link line; everything else goes to
-- linkoptions. If pkg-config does not know the package, fall back to
-- linking `fallback` and say so.
local pkgcache = {}
local function pkg(name, fallback)
    if pkgcache[name] then return pkgcache[name] end
    local r = { name = name, cflags = {}, libs = {}, ldflags = {} }
    local cflags, libs = "", ""
    if shell("pkg-config --exists " .. name .. " && echo yes") == "yes" then
        cflags = shell("pkg-config --cflags " .. name)
        libs = shell("pkg-config --libs " .. name)
    end
    if libs == "" then
        print("premake5.lua: warning: pkg-config knows no '" .. name ..
              "' (install its -dev package); trying -l" .. fallback)
        libs = "-l" .. fallback
    end
    r.cflags = split(cflags)
    for _, w in ipairs(split(libs)) do
        if w:sub(1, 2) == "-l" then
            r.libs[#r.libs + 1] = w:sub(3)
        else
            r.ldflags[#r.ldflags + 1] = w
        end
    end
    pkgcache[name] = r
    return r
end

-- Apply pkg-config packages to the current project (compile and link flags).
local function use(...)
    for _, p in ipairs({ ... }) do
        if #p.cflags > 0 then buildoptions(p.cflags) end
        if #p.ldflags > 0 then linkoptions(p.ldflags) end
        if #p.libs > 0 then links(p.libs) end
    end
end

-- Only compile flags (for code that includes the headers but must not link
-- the library itself).
local function use_cflags(...)
    for _, p in ipairs({ ... }) do
        if #p.cflags > 0 then buildoptions(p.cflags) end
    end
end

local function have(pattern)
    return #os.matchfiles(pattern) > 0
end

local function skipped(what, why)
    print("premake5.lua: note: no " .. what .. " (" .. why .. "), skipped")
end

-- ---------------------------------------------------------------------------
-- Dependencies

local LUA      = pkg("lua5.4", "lua5.4")
local YAML     = pkg("yaml-0.1", "yaml")
local UTF8PROC = pkg("libutf8proc", "utf8proc")
local CJSON    = pkg("libcjson", "cjson")
local CMOCKA   = pkg("cmocka", "cmocka")
local EDIT     = pkg("libedit", "edit")
local MHD      = pkg("libmicrohttpd", "microhttpd")

-- Link the static library and, after it, what it needs (plus any extra
-- pkg-config packages the program itself uses), then libm.
local function link_engine(...)
    links { "leeway_static" }
    use(LUA, YAML, UTF8PROC, CJSON, ...)
    links { "m", "pthread" }
end

-- ---------------------------------------------------------------------------
-- Solution

local CONFIGS = { "release", "debug", "sanitize" }

solution "leeway"
    configurations(CONFIGS)
    language "C"
    location "build"

    buildoptions {
        "-std=c11", "-D_POSIX_C_SOURCE=200809L",
        "-Wall", "-Wextra", "-Wshadow", "-Wstrict-prototypes",
        "-Wno-unused-parameter",
    }

    when "release"
        buildoptions { "-O2", "-DNDEBUG" }

    when "debug"
        buildoptions { "-O0", "-g" }
        keep_symbols()

    when "sanitize"
        buildoptions {
            "-O1", "-g", "-fsanitize=address,undefined",
            "-fno-omit-frame-pointer", "-fno-sanitize-recover=undefined",
        }
        linkoptions { "-fsanitize=address,undefined" }
        keep_symbols()

    when(nil)

-- targetdir/objdir are set per project (not once on the solution) so each
-- project has its own object folder: leeway_static and leeway_shared compile
-- the same sources with different flags.
local function outputs(name)
    for _, c in ipairs(CONFIGS) do
        when(c)
            targetdir("build/" .. c)
            objdir("build/obj/" .. c .. "/" .. name)
    end
    when(nil)
end

-- ---------------------------------------------------------------------------
-- The engine library

-- The Lua prelude (lua/prelude.lua), the functions every playbook script
-- sees, is compiled into the library: written out here as a C string in
-- build/gen/lua_prelude.h each time the makefiles are generated.
local function generate_prelude()
    local f = io.open("lua/prelude.lua", "rb")
    if not f then return end
    local text = f:read("*a")
    f:close()
    os.mkdir("build/gen")
    local out = assert(io.open("build/gen/lua_prelude.h", "wb"))
    out:write("/* generated by premake5.lua from lua/prelude.lua: do not edit */\n")
    out:write("static const char lua_prelude[] =\n")
    for line in (text:gsub("\n$", "") .. "\n"):gmatch("([^\n]*)\n") do
        local escaped = line:gsub("\\", "\\\\"):gsub('"', '\\"')
        out:write('    "' .. escaped .. '\\n"\n')
    end
    out:write("    ;\n")
    out:close()
end
generate_prelude()

local HAVE_ENGINE = have("engine/src/*.c")
local ENGINE_FILES = {}
for _, pattern in ipairs({ "engine/src/*.c", "engine/src/*.h", "engine/include/leeway.h" }) do
    if have(pattern) then ENGINE_FILES[#ENGINE_FILES + 1] = pattern end
end

-- The version lives in one place, LW_VERSION in leeway.h; the shared
-- library's file name and SONAME, leeway.pc and the install rules derive
-- from it. The SONAME carries the major number: libleeway.so.0 for 0.1.0.
local VERSION, SOMAJOR
do
    local f = io.open("engine/include/leeway.h", "rb")
    local text = f and f:read("*a") or ""
    if f then f:close() end
    VERSION = text:match('#define%s+LW_VERSION%s+"(%d+%.%d+%.%d+)"')
    SOMAJOR = VERSION and VERSION:match("^(%d+)")
end
if HAVE_ENGINE and not VERSION then
    error("premake5.lua: no '#define LW_VERSION \"X.Y.Z\"' in engine/include/leeway.h")
end

if HAVE_ENGINE then
    -- Both libraries compile with hidden visibility, so that only what
    -- leeway.h marks LW_API (the lw_ functions) is exported. LW_BUILD
    -- switches LW_API to visibility("default").
    --
    -- leeway_static is the build's own archive (libleeway_static.a): the
    -- programs here link it, and the unit tests call internal functions in
    -- it. Its objects are then merged into one relocatable object whose
    -- hidden symbols are made local (ld -r, objcopy --localize-hidden):
    -- libleeway.a, the static library that is installed, defines no global
    -- name but the lw_ API, so a program may have its own file_read or
    -- map_get. (A static and a shared library of the same name in one
    -- folder would make premake4 link the build's programs against the .so:
    -- see shared/BUILD-NOTES.md; hence the separate project name.)
    project "leeway_static"
        kind "StaticLib"
        outputs("leeway_static")
        files(ENGINE_FILES)
        includedirs { "engine/include", "engine/src", "build/gen" }
        defines { "LW_BUILD" }
        -- position-independent so the Lua module (a shared object) can link
        -- it too; -fno-semantic-interposition keeps GCC inlining global
        -- functions as it does without -fPIC, so programs lose nothing
        buildoptions { "-fPIC", "-fno-semantic-interposition", "-fvisibility=hidden" }
        use_cflags(LUA, YAML, UTF8PROC, CJSON)
        postbuildcommands {
            "$(LD) -r -o $(OBJDIR)/libleeway.o $(OBJECTS)",
            "objcopy --localize-hidden $(OBJDIR)/libleeway.o",
            "rm -f $(TARGETDIR)/libleeway.a",
            "$(AR) -rcs $(TARGETDIR)/libleeway.a $(OBJDIR)/libleeway.o",
        }

    -- libleeway.so.X.Y.Z with SONAME libleeway.so.X, and the two links a
    -- system library has (libleeway.so.X for programs, libleeway.so for -l).
    project "leeway_shared"
        kind "SharedLib"
        targetname "leeway"
        targetextension(".so." .. VERSION)
        outputs("leeway_shared")
        files(ENGINE_FILES)
        includedirs { "engine/include", "engine/src", "build/gen" }
        defines { "LW_BUILD" }
        buildoptions { "-fPIC", "-fvisibility=hidden" }
        linkoptions { "-Wl,-soname,libleeway.so." .. SOMAJOR }
        use(LUA, YAML, UTF8PROC, CJSON)
        links { "m", "pthread" }
        postbuildcommands {
            "ln -sf libleeway.so." .. VERSION .. " $(TARGETDIR)/libleeway.so." .. SOMAJOR,
            "ln -sf libleeway.so." .. SOMAJOR .. " $(TARGETDIR)/libleeway.so",
        }
else
    skipped("engine library", "engine/src/*.c matches nothing")
end

-- A program that uses only the public header and links the static library.
local function engine_program(name, dir, ...)
    local extra = { ... }
    if not HAVE_ENGINE then
        skipped(name, "no engine library")
    elseif not have(dir .. "/*.c") then
        skipped(name, dir .. "/*.c matches nothing")
    else
        project(name)
            kind "ConsoleApp"
            outputs(name)
            files { dir .. "/*.c" }
            if have(dir .. "/*.h") then files { dir .. "/*.h" } end
            includedirs { "engine/include" }
            link_engine((table.unpack or unpack)(extra))
    end
end

-- ---------------------------------------------------------------------------
-- The leeway command, the embedding example, the benchmarks

-- the REPL uses libedit for line editing and utf8proc for display widths;
-- `leeway serve` uses libmicrohttpd
engine_program("leeway", "engine/cli", EDIT, MHD)
engine_program("embed_example", "examples/embed")
engine_program("leeway_bench", "tests/bench")
-- loading time against playbook size (tests/bench/scale-run runs its --check)
engine_program("leeway_scale", "tests/bench/scale")

-- ---------------------------------------------------------------------------
-- The Lua module: build/<config>/lua/leeway.so, for `require "leeway"` with
-- package.cpath = "build/<config>/lua/?.so". It wraps the public header only
-- and links the (position-independent) static library; --exclude-libs keeps
-- the engine's symbols out of the module's dynamic symbol table, so only
-- luaopen_leeway is exported. liblua is not linked: the lua5.4 interpreter
-- exports the Lua API itself (shared/BUILD-NOTES.md).

if not HAVE_ENGINE then
    skipped("Lua module", "no engine library")
elseif not have("lua/*.c") then
    skipped("Lua module", "lua/*.c matches nothing")
else
    project "leeway_lua"
        kind "SharedLib"
        targetname "leeway"
        targetprefix ""              -- leeway.so, not libleeway.so
        for _, c in ipairs(CONFIGS) do
            when(c)
                targetdir("build/" .. c .. "/lua")
                objdir("build/obj/" .. c .. "/leeway_lua")
        end
        when(nil)
        files { "lua/*.c" }
        if have("lua/*.h") then files { "lua/*.h" } end
        includedirs { "engine/include" }
        buildoptions { "-fPIC", "-fvisibility=hidden" }
        linkoptions { "-Wl,--exclude-libs,ALL" }
        use_cflags(LUA)
        links { "leeway_static" }
        use(YAML, UTF8PROC, CJSON)
        links { "m", "pthread" }
end

-- ---------------------------------------------------------------------------
-- Fuzz targets as plain programs that replay inputs (tests/fuzz/replay.c):
-- tests/fuzz/run feeds them the inputs fuzzing found. tests/fuzz/build makes
-- the real libFuzzer binaries with clang, and tests/fuzz/campaign runs them.

-- One program per file matching pattern, with the extra files and include
-- folders given, linked with the engine (and the extra packages).
local function program_per_file(pattern, extra_files, dirs, ...)
    if not HAVE_ENGINE then return end
    local packages = { ... }
    for _, src in ipairs(os.matchfiles(pattern)) do
        local name = path.getbasename(src)
        project(name)
            kind "ConsoleApp"
            outputs(name)
            files { src }
            for _, f in ipairs(extra_files) do
                if have(f) then files { f } end
            end
            includedirs(dirs)
            link_engine((table.unpack or unpack)(packages))
    end
end

program_per_file("tests/fuzz/fuzz_*.c", { "tests/fuzz/replay.c" }, { "engine/include" })

-- ---------------------------------------------------------------------------
-- Unit tests: one program per tests/unit/test_*.c (picked up on every
-- premake run). They may use internal headers.

program_per_file("tests/unit/test_*.c", { "tests/unit/*.h" }, { "engine/include", "engine/src" },
                 CMOCKA)

-- ---------------------------------------------------------------------------
-- make install: neither premake4's nor premake5's gmake generator writes an
-- install target, and a premake action could not build first. So this file
-- writes build/GNUmakefile, which GNU make reads in preference to
-- build/Makefile: it includes the generated Makefile unchanged, sets what is
-- known here (the version from leeway.h, the Lua version and Debian's module
-- folder for it, the pkg-config names of the dependencies) and includes
-- engine/install.mk, which has the install and uninstall rules and writes
-- build/gen/lw_paths.h (the installed rule-set folder) from PREFIX.

if HAVE_ENGINE and _ACTION and _ACTION:match("^gmake") then
    local luaver = shell("pkg-config --modversion lua5.4"):match("^(%d+%.%d+)") or "5.4"
    local cmod = shell("pkg-config --variable=INSTALL_CMOD lua5.4")
    if cmod == "" then cmod = "/usr/lib/lua/" .. luaver end
    local out = assert(io.open("build/GNUmakefile", "wb"))
    out:write("# written by premake5.lua: do not edit (see engine/install.mk)\n",
              "include Makefile\n",
              "VERSION := ", VERSION, "\n",
              "SOMAJOR := ", SOMAJOR, "\n",
              "LUA_VERSION := ", luaver, "\n",
              "LUA_CMOD_SYSTEM := ", cmod, "\n",
              "PC_REQUIRES := ", table.concat({ LUA.name, YAML.name, UTF8PROC.name, CJSON.name }, " "), "\n",
              "include ../engine/install.mk\n")
    out:close()
end
