#!/usr/bin/env python3
# Regenerates ../LuaStructCorpus.cs from a running redis-server 7.0 (the spec):
#   redis-server --port 7801 --bind 127.0.0.1 --save '' --appendonly no --daemonize yes
#   python3 tests/Server.Tests/Corpus/lua-struct.py 7801 > tests/Server.Tests/LuaStructCorpus.cs
# Each case is one EVAL of a one-line script calling the struct library, sent in RESP2 and in RESP3 (a fresh
# connection for each). Packed bytes are returned as hex (hex(...)) and unpacked values through tostring (all(...)),
# so the replies are ASCII and show how each number prints. KEYS cases store packed strings and read them back.
import os, re, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from resp import C, rule_class

HEX = "local function hex(s) return (string.gsub(s, '.', function(c) return string.format('%02x', string.byte(c)) end)) end "
ALL = "local function all(...) local t = {} for i = 1, select('#', ...) do t[i] = tostring((select(i, ...))) end return t end "

RULES = [
    # integers: every letter, wrapping, x86 conversions of out-of-range numbers, sizes of i/I
    "return hex(struct.pack('b', -1))",
    "return hex(struct.pack('B', 255))",
    "return hex(struct.pack('B', 256))",
    "return hex(struct.pack('b', 200))",
    "return hex(struct.pack('h', -2))",
    "return hex(struct.pack('>h', 258))",
    "return hex(struct.pack('<H', 65535))",
    "return hex(struct.pack('>H', 65536))",
    "return hex(struct.pack('l', -1))",
    "return hex(struct.pack('>L', 2^63))",
    "return hex(struct.pack('>L', 2^64))",
    "return hex(struct.pack('>L', 1/0))",
    "return hex(struct.pack('>L', 0/0))",
    "return hex(struct.pack('>l', -2^64))",
    "return hex(struct.pack('>l', -1/0))",
    "return hex(struct.pack('T', 12345))",
    "return hex(struct.pack('>T', 2^53 + 1))",
    "return hex(struct.pack('i', 1))",
    "return hex(struct.pack('>i', -1))",
    "return hex(struct.pack('i1', 65))",
    "return hex(struct.pack('>i3', 0x123456))",
    "return hex(struct.pack('<I5', 2^33 + 5))",
    "return hex(struct.pack('>I7', 2^50))",
    "return hex(struct.pack('>i8', -2))",
    "return hex(struct.pack('i9', -2))",
    "return hex(struct.pack('>I16', 258))",
    "return hex(struct.pack('i32', 1))",
    "return struct.pack('i33', 1)",
    "return struct.pack('I40', 1)",
    "return hex(struct.pack('i0', 1))",
    "return struct.pack('i99999999999', 1)",
    "return hex(struct.pack('>i', 3.9))",
    "return hex(struct.pack('>i', -3.9))",
    "return hex(struct.pack('>i', '12'))",
    "return hex(struct.pack('>i', ' 0x10 '))",
    "return hex(struct.pack('<l', 9007199254740993))",
    "return hex(struct.pack('>I', 4294967296 + 7))",
    # endianness, spaces, alignment
    "return hex(struct.pack('<i>i', 1, 1))",
    "return hex(struct.pack('> h < h', 1, 1))",
    "return hex(struct.pack('!bi', 1, 2))",
    "return hex(struct.pack('!2bi', 1, 2))",
    "return hex(struct.pack('!bd', 1, 1.5))",
    "return hex(struct.pack('!4bd', 1, 1.5))",
    "return hex(struct.pack('!16bh', 1, 2))",
    "return hex(struct.pack('!bi3', 1, 2))",
    "return hex(struct.pack('!bcb', 1, 'z', 2))",
    "return hex(struct.pack('!bxi', 1, 2))",
    "return hex(struct.pack('!b!1i', 1, 2))",
    "return struct.pack('!3i', 1)",
    "return struct.pack('!0i', 1)",
    "return struct.pack('!99999999999', 1)",
    "return struct.pack('=i', 1)",
    "return struct.pack('q', 1)",
    "return struct.pack(12)",
    "return struct.pack()",
    "return struct.pack({})",
    # strings and padding
    "return struct.pack('c3', 'abcdef')",
    "return struct.pack('c5', 'abc')",
    "return struct.pack('bc5', 1, 'abc')",
    "return struct.pack('c0', 'hello')",
    "return struct.pack('c99999999999', 'a')",
    "return hex(struct.pack('s', 'hi'))",
    "return hex(struct.pack('s', 'a\\0b'))",
    "return struct.pack('c0', 12.5)",
    "return hex(struct.pack('s', 3))",
    "return struct.pack('c0', 2^53)",
    "return struct.pack('c0', 1/0)",
    "return struct.pack('s')",
    "return struct.pack('c', true)",
    "return hex(struct.pack('x'))",
    "return hex(struct.pack('xxbx', 7))",
    "return struct.pack('i')",
    "return struct.pack('ii', 1)",
    "return struct.pack('i', 'x')",
    "return struct.pack('d', {})",
    "return hex(struct.pack('i\\0q', 1))",
    # floats
    "return hex(struct.pack('<d', 1.5))",
    "return hex(struct.pack('>d', -0.0))",
    "return hex(struct.pack('>f', 0.1))",
    "return hex(struct.pack('<f', 1/0))",
    "return hex(struct.pack('>f', 1e40))",
    "return hex(struct.pack('>d', 2^1023 * 1.5))",
    # unpack: values as they print, the next position last
    "return all(struct.unpack('b', '\\255'))",
    "return all(struct.unpack('B', '\\255'))",
    "return all(struct.unpack('>h', '\\255\\254'))",
    "return all(struct.unpack('<H', '\\1\\2'))",
    "return all(struct.unpack('>l', string.rep('\\255', 8)))",
    "return all(struct.unpack('>L', string.rep('\\255', 8)))",
    "return all(struct.unpack('>l', '\\127' .. string.rep('\\255', 7)))",
    "return all(struct.unpack('>i7', '\\127' .. string.rep('\\255', 6)))",
    "return all(struct.unpack('>I6', '\\0' .. string.rep('\\255', 5)))",
    "return all(struct.unpack('<i3', 'abc'))",
    "return all(struct.unpack('>i3', '\\255\\255\\254'))",
    "return all(struct.unpack('i9', struct.pack('i9', -2)))",
    "return all(struct.unpack('<i9', '\\128' .. string.rep('\\0', 8)))",
    "return all(struct.unpack('<I9', '\\1\\0\\0\\0\\0\\0\\0\\0\\9'))",
    "return all(struct.unpack('i0', 'abc'))",
    "return all(struct.unpack('T', struct.pack('T', 77)))",
    "return all(struct.unpack('f', struct.pack('f', 0.1)))",
    "return all(struct.unpack('d', struct.pack('d', 2)))",
    "return all(struct.unpack('>d', struct.pack('>d', 1e300)))",
    "return all(struct.unpack('d', struct.pack('d', 0/0)))",
    "return all(struct.unpack('<f', struct.pack('<f', 1e40)))",
    "return all(struct.unpack('>d', struct.pack('>d', 123456789012345)))",
    "return all(struct.unpack('>d', struct.pack('>d', 99999999999999)))",
    "return all(struct.unpack('!4 bi', 'abcdefgh'))",
    "return all(struct.unpack('!bd', struct.pack('!bd', 1, 2.5)))",
    "return all(struct.unpack('xxB', 'abc'))",
    "return all(struct.unpack('c2c1', 'abc'))",
    "return all(struct.unpack('Bc0', '\\3abcd'))",
    "return all(struct.unpack('Bc0c0', '\\1' .. '1' .. 'x'))",
    "return all(struct.unpack('c1c0', '2abc'))",
    "return struct.unpack('c0', 'abc')",
    "return struct.unpack('c1c0', 'zabc')",
    "return struct.unpack('Bc0', '\\5ab')",
    "return struct.unpack('bc0', '\\255abc')",
    "return all(struct.unpack('dc0', struct.pack('d', 2.7) .. 'abc'))",
    "return all(struct.unpack('s', 'ab\\0cd'))",
    "return all(struct.unpack('ss', 'ab\\0cd\\0'))",
    "return struct.unpack('s', 'abc')",
    "return struct.unpack('s', 'ab\\0cd', 4)",
    "return struct.unpack('i', 'abc')",
    "return struct.unpack('i')",
    "return struct.unpack('i', nil)",
    "return struct.unpack(nil, 'abc')",
    "return struct.unpack('i', 'abcd', 'x')",
    "return all(struct.unpack('i', 'abcdabcd', 2.9))",
    "return all(struct.unpack('<i3', 'abc', '1'))",
    "return struct.unpack('', 'abc', 0)",
    "return all(struct.unpack('', 'abc', -5))",
    "return all(struct.unpack('', 'abc'))",
    "return all(struct.unpack('B', 'abc', 3))",
    "return struct.unpack('B', 'abc', 4)",
    "return all(struct.unpack('', 'abc', 100))",
    "return all(struct.unpack('c2', 12))",
    "return #{struct.unpack(string.rep('B', 7997), string.rep('a', 8000))}",
    "return #{struct.unpack(string.rep('B', 7998), string.rep('a', 8000))}",
    "return #{struct.unpack(string.rep('x', 9000), string.rep('a', 9000))}",
    "return struct.unpack('q', 'abc')",
    "return struct.unpack('i40', 'abc')",
    # round trips, and numbers returned to Redis as integer replies
    "return all(struct.unpack('>bBhHlLiI', struct.pack('>bBhHlLiI', -1, 2, -3, 4, -5, 6, -7, 8)))",
    "return all(struct.unpack('<!8bdhs', struct.pack('<!8bdhs', 1, 2.25, -3, 'str')))",
    "return all(struct.unpack('>Bc0', struct.pack('>Bc0', 5, 'hello')))",
    "return all(struct.unpack('<i5 I3 x s', struct.pack('<i5 I3 x s', -70000, 70000, 'end')))",
    "return struct.unpack('i', struct.pack('i', -123456))",
    "return struct.unpack('>L', string.rep('\\255', 8))",
    "return struct.unpack('d', struct.pack('d', 3.7))",
    "return {struct.unpack('>hd', struct.pack('>hd', -7, -7.5))}",
    "return struct.unpack('>I2', 'ab') + 1",
    "return tostring(struct.unpack('>I2', 'ab') .. '')",
    # struct.size
    "return struct.size('i')",
    "return struct.size('bhlLTfdxi3')",
    "return struct.size('!bhlLTfdxi3')",
    "return struct.size('!i3i')",
    "return struct.size('!i3!8d')",
    "return struct.size('c10')",
    "return struct.size('c0')",
    "return struct.size('s')",
    "return struct.size('q')",
    "return struct.size('?')",
    "return struct.size(' <>!4')",
    "return struct.size('i33')",
    "return struct.size('!3')",
    "return struct.size()",
    "return struct.size('!16d')",
    "return struct.size('bi9')",
    "return struct.size(1234)",
    # the library table, and errors caught by pcall (no caller position then)
    "return type(struct)",
    "struct.pack = nil",
    "struct.x = 1",
    "local ok, e = pcall(struct.pack, 'i33', 1) return {tostring(ok), e}",
    "local ok, e = pcall(function() return struct.size('s') end) return {tostring(ok), e}",
]

KEY_RULES = [
    ["FLUSHALL"],
    ["EVAL", "redis.call('set', KEYS[1], struct.pack('>I2c0', 5, 'hello')) return 1", "1", "rec"],
    ["EVAL", "return {struct.unpack('>I2c0', redis.call('get', KEYS[1]))}", "1", "rec"],
    ["GET", "rec"],
    ["EVAL", "local v = redis.call('get', KEYS[1]) local n = v and struct.unpack('<I4', v) or 0 redis.call('set', KEYS[1], struct.pack('<I4', n + 1)) return n + 1", "1", "ctr"],
    ["EVAL", "local v = redis.call('get', KEYS[1]) local n = v and struct.unpack('<I4', v) or 0 redis.call('set', KEYS[1], struct.pack('<I4', n + 1)) return n + 1", "1", "ctr"],
    ["GET", "ctr"],
    ["EVAL", "redis.call('hset', KEYS[1], 'h', struct.pack('>hhs', -1, 300, 'tag')) return 1", "1", "hash"],
    ["EVAL", "local t = {struct.unpack('>hhs', redis.call('hget', KEYS[1], 'h'))} t[#t + 1] = struct.size('>hh') return t", "1", "hash"],
]


def script(body):
    return (HEX if 'hex(' in body else '') + (ALL if re.search(r'\ball\(', body) else '') + body


def main():
    port = int(sys.argv[1])
    rules = []
    for body in RULES:
        cmd = ['EVAL', script(body), '0']
        r2 = C(port, 2).cmd(*cmd).decode('utf-8')
        r3 = C(port, 3).cmd(*cmd).decode('utf-8')
        rules.append((cmd, r2, r3))
    keys = []
    for proto in (2, 3):
        c = C(port, proto)
        for command in KEY_RULES:
            if command[0] == 'FLUSHALL': c = C(port, proto)
            keys.append(c.cmd(*command).decode('utf-8'))
    n = len(KEY_RULES)
    key_rows = [(KEY_RULES[i], keys[i], keys[n + i]) for i in range(n)]
    sys.stdout.write(rule_class([
        'Generated from redis-server 7.0.15 by Corpus/lua-struct.py: each script was sent to it with EVAL on a new',
        'connection in RESP2 and in RESP3 and its reply recorded here (KeyRules: in order, after a FLUSHALL).',
        'LuaStructTests sends the same commands to Tiered and expects these bytes.'], 'LuaStructCorpus', [
        ('Rules', 'struct.pack, unpack and size, one script each', rules),
        ('KeyRules', 'packed strings stored in keys and read back', key_rows)]))

main()
