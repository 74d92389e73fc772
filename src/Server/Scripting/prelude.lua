-- The Lua side of the script engine (Scripting/ScriptEngine.cs runs this once, when it makes its Lua state).
--
-- Redis runs scripts on Lua 5.1 in a sandbox; Tiered embeds Lua 5.4 (KeraLua) and rebuilds that sandbox here, so a
-- script written for Redis sees the same world:
--
--   real globals (_G of the state)          never seen by a script
--     │ a chosen few are copied into
--     ▼
--   G        assert error pairs ... string table math bit cjson cmsgpack struct redis KEYS ARGV   (5.1 names: unpack, loadstring,
--     ▲                                                                            gcinfo, math.pow, table.getn ...)
--     │ read through
--   ENV      what a script's globals are: reading a name G lacks raises "Script attempted to access nonexistent
--            global variable", writing any name raises "Attempt to modify a readonly table", as in Redis 7
--
-- Library tables are handed out as read-only views of the same kind, so `redis.call = nil` fails as it does in Redis.
--
-- Errors. Lua reports an error with longjmp, which must not cross C# frames, so a C# function never raises itself:
-- it calls raise_later and returns, and a return hook raises the error as the function returns (below). The C#
-- functions are what scripts call directly (redis.call is one, as in Redis), so a script's frame stays on the stack
-- even for `return redis.call(...)`, a tail call, and on_error (the message handler of every run) finds the
-- script's line for the " script: <sha>, on @user_script:<line>." Redis 7 appends. A message raised for Redis (a
-- command's error reply, a bad argument to redis.*) reaches the client as it is; anything else a script raises
-- gets "ERR " in front, as in Redis.
local call, pcall_raw, set_resp, log, sha1hex, set_repl, cjson_encode, cjson_decode, mp_pack, mp_unpack, mp_unpack_one,
  mp_unpack_limit, struct_pack, struct_unpack, struct_size, check_time, cjson_null, version, version_num = ...

local debug_getinfo, debug_sethook = debug.getinfo, debug.sethook
local select, error, type, tostring, setmetatable, next = select, error, type, tostring, setmetatable, next
local raised   -- the message last raised for Redis (reaches the client as it is)

-- How a C# function raises (see the top): it calls raise_later and returns normally; the return hook set here fires
-- as that function returns, still inside any pcall around it, and raises its error there. The hook ignores the
-- returns of debug.sethook and raise_later themselves, which come first.
local pending, pending_plain
local raisers = {}   -- the C# functions that raise this way

-- The script time limit: every TICK instructions the hook asks the server (check_time) whether SCRIPT KILL asked the
-- script to stop; the server also learns from it that the script has run past busy-reply-threshold.
local TICK = 100000
local KILLED = 'ERR Script killed by user with SCRIPT KILL...'

local function timer()
  if check_time() then
    raised = KILLED
    error(KILLED, 0)
  end
end

local function raiser()
  local returning = debug_getinfo(2, 'f')
  if not (returning and raisers[returning.func]) then return end
  debug_sethook(timer, '', TICK)
  local message = pending
  pending = nil
  if pending_plain then
    raised = message
    error(message, 0)
  end
  local caller = debug_getinfo(3, 'Sl')   -- a Lua error, with the caller's position as luaL_error gives it
  if caller and caller.currentline > 0 then message = caller.short_src .. ':' .. caller.currentline .. ': ' .. message end
  error(message, 0)
end

-- A Redis error raised from Lua code itself (the checks of redis.register_function).
local function raise(message)
  raised = message
  error(message, 0)
end

local function raise_later(message, plain)
  pending, pending_plain = message, plain
  debug_sethook(raiser, 'r')
end

local function readonly(t)
  return setmetatable({}, {
    __index = t,
    __newindex = function() error('Attempt to modify a readonly table', 2) end,
    __pairs = function() return next, t, nil end,
    __len = function() return #t end,
  })
end

-- A read-only view that also refuses to read a name its table lacks (a script's globals, as in Redis 7).
local function strict(t)
  return setmetatable({}, {
    __index = function(_, k)
      local v = t[k]
      if v == nil then error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2) end
      return v
    end,
    __newindex = function() error('Attempt to modify a readonly table', 2) end,
    __pairs = function() return next, t, nil end,
  })
end

-- ---- bit: LuaBitOp's functions on 32-bit signed integers ----

local function tobit(x)
  local i = math.tointeger(x)
  if not i then
    i = math.tointeger(math.floor(math.fmod(x, 4294967296) + 0.5)) or 0
  end
  i = i & 0xFFFFFFFF
  if i >= 0x80000000 then i = i - 0x100000000 end
  return i
end

local function fold(op)
  return function(x, ...)
    x = tobit(x)
    for k = 1, select('#', ...) do x = op(x, tobit((select(k, ...)))) end
    return tobit(x)
  end
end

local bit = {
  tobit = tobit,
  bnot = function(x) return tobit(~tobit(x)) end,
  band = fold(function(a, b) return a & b end),
  bor = fold(function(a, b) return a | b end),
  bxor = fold(function(a, b) return a ~ b end),
  lshift = function(x, n) return tobit(tobit(x) << (tobit(n) & 31)) end,
  rshift = function(x, n) return tobit((tobit(x) & 0xFFFFFFFF) >> (tobit(n) & 31)) end,
  arshift = function(x, n) return tobit(tobit(x) // (1 << (tobit(n) & 31))) end,
  rol = function(x, n)
    x, n = tobit(x) & 0xFFFFFFFF, tobit(n) & 31
    return tobit((x << n) | (x >> (32 - n)))
  end,
  ror = function(x, n)
    x, n = tobit(x) & 0xFFFFFFFF, tobit(n) & 31
    return tobit((x >> n) | (x << (32 - n)))
  end,
  bswap = function(x)
    x = tobit(x) & 0xFFFFFFFF
    return tobit(((x & 0xFF) << 24) | ((x & 0xFF00) << 8) | ((x >> 8) & 0xFF00) | (x >> 24))
  end,
  tohex = function(x, n)
    n = n or 8
    local upper = n < 0
    if upper then n = -n end
    if n > 8 then n = 8 end
    return string.format(upper and '%08X' or '%08x', tobit(x) & 0xFFFFFFFF):sub(9 - n)
  end,
}

-- ---- redis ----

local redis = {
  LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
  REPL_NONE = 0, REPL_AOF = 1, REPL_SLAVE = 2, REPL_REPLICA = 2, REPL_ALL = 3,
  REDIS_VERSION = version, REDIS_VERSION_NUM = version_num,
}

redis.call = call
redis.pcall = pcall_raw
redis.sha1hex = sha1hex
redis.log = log
redis.setresp = set_resp
redis.set_repl = set_repl

function redis.error_reply(...)
  local e = ...
  if select('#', ...) ~= 1 or type(e) ~= 'string' then return { err = 'ERR wrong number or type of arguments' } end
  if e:sub(1, 1) == '-' then e = e:sub(2) end
  return { err = e }
end

function redis.status_reply(...)
  local s = ...
  if select('#', ...) ~= 1 or type(s) ~= 'string' then return { err = 'ERR wrong number or type of arguments' } end
  return { ok = s }
end

function redis.replicate_commands() return true end
function redis.breakpoint() return false end
function redis.debug() end

-- ---- cjson ----

local cjson = { null = cjson_null, encode = cjson_encode, decode = cjson_decode }
local cmsgpack = { pack = mp_pack, unpack = mp_unpack, unpack_one = mp_unpack_one, unpack_limit = mp_unpack_limit }
local struct = { pack = struct_pack, unpack = struct_unpack, size = struct_size }
for _, f in ipairs({ call, set_resp, log, sha1hex, set_repl, cjson_encode, cjson_decode, mp_pack, mp_unpack, mp_unpack_one,
  mp_unpack_limit, struct_pack, struct_unpack, struct_size }) do raisers[f] = true end

-- ---- the globals a script sees ----

local G = {}
for _, name in ipairs({ 'assert', 'collectgarbage', 'error', 'getmetatable', 'ipairs', 'next', 'pairs', 'pcall',
  'rawequal', 'rawget', 'rawset', 'select', 'setmetatable', 'tonumber', 'tostring', 'type', 'xpcall' }) do
  G[name] = _G[name]
end
G.unpack = table.unpack
G.gcinfo = function() return math.floor(collectgarbage('count')) end
G._VERSION = 'Lua 5.1'

local string_lib, table_lib, math_lib = {}, {}, {}
for k, v in pairs(string) do string_lib[k] = v end
string_lib.gfind = string.gmatch
for k, v in pairs(table) do table_lib[k] = v end
table_lib.getn = function(t) return #t end
table_lib.maxn = function(t)
  local max = 0
  for k in pairs(t) do if type(k) == 'number' and k > max then max = k end end
  return max
end
for k, v in pairs(math) do math_lib[k] = v end
math_lib.pow = function(a, b) return a ^ b end
math_lib.mod = math.fmod
math_lib.log10 = function(x) return math.log(x, 10) end
math_lib.ldexp = function(m, e) return m * 2.0 ^ e end

G.string = readonly(string_lib)
G.table = readonly(table_lib)
G.math = readonly(math_lib)
G.coroutine = readonly(coroutine)
G.bit = readonly(bit)
G.cjson = readonly(cjson)
G.cmsgpack = readonly(cmsgpack)
G.struct = readonly(struct)
G.redis = readonly(redis)

local ENV = strict(G)
G._G = ENV
G.loadstring = function(s, name) return load(s, name, 't', ENV) end

-- ---- functions (FUNCTION LOAD, FCALL) ----
--
-- A library's code runs once, at load, seeing only `redis` with register_function, log and the constants (as in
-- Redis 7.0: `error`, `string`, `redis.call` are not there yet); the functions it registers later run seeing the
-- globals scripts see, KEYS and ARGV aside (they get keys and args as arguments). One environment serves both:
-- FENV reads whichever of G_LOAD and G is `current`.

local registered   -- what the library being loaded registered: { { name, fn, flags, description }, ... }
local FUNCTION_FLAGS = { ['no-writes'] = true, ['allow-oom'] = true, ['allow-stale'] = true, ['no-cluster'] = true,
  ['allow-cross-slot-keys'] = true }

local function register_function(...)
  local n = select('#', ...)
  local name, fn, flags, description
  if n == 1 then
    local t = ...
    if type(t) ~= 'table' then
      raise('ERR calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).')
    end
    for k, v in pairs(t) do
      if k == 'function_name' then name = v
      elseif k == 'callback' then fn = v
      elseif k == 'flags' then flags = v
      elseif k == 'description' then description = v
      else raise('ERR unknown argument given to redis.register_function') end
    end
    if type(fn) ~= 'function' then raise('ERR callback argument given to redis.register_function must be a function') end
    if flags ~= nil and type(flags) ~= 'table' then
      raise('ERR flags argument to redis.register_function must be a table representing function flags')
    end
    if description ~= nil and type(description) ~= 'string' then
      raise('ERR description argument given to redis.register_function must be a string')
    end
  elseif n == 2 then
    name, fn = ...
    if type(fn) ~= 'function' then raise('ERR second argument to redis.register_function must be a function') end
  else
    raise('ERR wrong number of arguments to redis.register_function')
  end
  if type(name) ~= 'string' and type(name) ~= 'number' then
    raise('ERR function_name argument given to redis.register_function must be a string')
  end
  name = tostring(name)
  if not name:match('^[%w_]+$') then   -- Redis 7.0 words this error as the library-name one
    raise('ERR Library names can only contain letters, numbers, or underscores(_) and must be at least one character long')
  end
  local names = {}
  for _, f in ipairs(flags or {}) do
    if not FUNCTION_FLAGS[f] then raise('ERR unknown flag given') end
    names[#names + 1] = f
  end
  for _, r in ipairs(registered) do
    if r[1] == name then raise('ERR Function already exists in the library') end
  end
  registered[#registered + 1] = { name, fn, names, description }
end

local G_LOAD = {
  redis = strict({ register_function = register_function, log = log, LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2,
    LOG_WARNING = 3, REDIS_VERSION = version, REDIS_VERSION_NUM = version_num }),
}
local current = G
local FENV = setmetatable({}, {
  __index = function(_, k)
    local v = current[k]
    if v == nil or (current == G and (k == 'KEYS' or k == 'ARGV')) then
      error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 2)
    end
    return v
  end,
  __newindex = function() error('Attempt to modify a readonly table', 2) end,
})

local on_error

local function compile_library(body)
  return load(body, '@user_function', 't', FENV)
end

local function load_library(chunk)
  registered, current = {}, G_LOAD
  local ok, e = xpcall(chunk, on_error)
  local r = registered
  registered, current = nil, G
  if not ok then return nil, e.err end
  return r
end

local function call_function(fn, keys, args)
  raised, pending = nil, nil
  debug_sethook(timer, '', TICK)
  return fn(keys, args)
end

-- ---- what ScriptEngine.cs calls ----

local function compile(body)
  return load(body, '@user_script', 't', ENV)
end

local function run(f, keys, argv)
  G.KEYS, G.ARGV = keys, argv
  raised, pending = nil, nil
  debug_sethook(timer, '', TICK)
  return f()
end

function on_error(e)
  local level, info = 2, nil
  repeat
    info = debug_getinfo(level, 'Sl')
    level = level + 1
  until info == nil or (info.what ~= 'C' and info.source ~= '=prelude')
  local message
  if type(e) == 'table' then
    message = type(e.err) == 'string' and e.err or 'ERR unknown error'
  elseif e ~= nil and e == raised then
    message = e
  else
    message = 'ERR ' .. tostring(e)
  end
  raised = nil
  return { err = message, source = info and info.source, line = info and info.currentline }
end

return compile, run, on_error, raise_later, compile_library, load_library, call_function
