-- leeway.lua -- installed where LuaJIT and Lua 5.1 look for `require "leeway"`
-- (PREFIX/share/lua/5.1), so that they get a clear message instead of
-- "module not found" or "undefined symbol: luaopen_utf8". The leeway module
-- is a Lua 5.4 C module (PREFIX/lib/lua/5.4/leeway.so): the engine inside it
-- runs playbook scripts with Lua 5.4 and uses its C API. Nor can LuaJIT load
-- libleeway.so through its FFI: LuaJIT's own lua_* functions would take the
-- place of Lua 5.4's in the library (lua/README.md).
error(("leeway: the Lua module supports Lua 5.4 only (lua5.4); this is %s. "
       .. "From LuaJIT or OpenResty, ask `leeway serve` over HTTP "
       .. "(see leeway(1)) or run the leeway command")
      :format(jit and jit.version or _VERSION), 2)
