#!/usr/bin/env python3
# Regenerates ../KeyspaceEventCorpus.cs from a running redis-server 7.0 (the spec):
#   redis-server --port 7777 --save '' --appendonly no --daemonize yes
#   python3 tests/Server.Tests/Corpus/keyspace-events.py 7777 > tests/Server.Tests/KeyspaceEventCorpus.cs
# Each command of EVENTS runs with notify-keyspace-events "AEn" (every class, keyevent channel, new keys), each of
# MISSES with "Em" (key misses); a PSUBSCRIBE client records what each command published, and a PING on that client
# marks the end of one command's events. Its reply is recorded too.
import os, shlex, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from resp import C, cs

# The command sequence of the keyspace-event corpus: every write command Tiered has, effective and no-op forms.
EVENTS = [
 # strings ($)
 "SET s1 v", "SET s1 v2 NX", "SET s1 v3 XX", "SET s1 v4 EX 100", "SET s1 v5 KEEPTTL", "SET s1 v6 GET",
 "SETNX s1 x", "SETNX s2 x", "SETEX s3 100 v", "PSETEX s4 100000 v", "GETSET s2 y", "GETDEL s2", "GETDEL s2",
 "APPEND s5 ab", "APPEND s5 cd", "SETRANGE s5 1 ZZ", "SETRANGE s6 0 ''", "SETRANGE s6 2 x",
 "INCR n1", "DECR n1", "INCRBY n1 5", "DECRBY n1 2", "INCRBYFLOAT n1 1.5", "INCR s5",
 "MSET m1 a m2 b", "MSETNX m1 a m3 c", "MSETNX m4 a m5 b",
 "GETEX s1", "GETEX s1 EX 200", "GETEX s1 PERSIST", "GETEX s1 PX 300000", "GETEX s1 PXAT 9999999999999", "GETEX s1 EXAT 9999999999",
 "SET s7 v EX 100", "GETEX s7 PERSIST", "GETEX s7 PERSIST",
 "SETBIT b1 7 1", "SETBIT b1 7 1", "BITOP OR b2 b1 s5", "BITOP AND b3 missing1 missing2",
 "BITFIELD bf1 SET u8 0 255", "BITFIELD bf1 GET u8 0", "BITFIELD bf1 INCRBY u8 0 1",
 # generic (g)
 "DEL s3 s4 missing", "UNLINK m1 missing", "EXPIRE m2 100", "PEXPIRE m2 100000", "EXPIREAT m2 9999999999", "PEXPIREAT m2 9999999999999",
 "EXPIRE m2 100 NX", "EXPIRE m2 -1", "EXPIRE missing 10", "SET m6 v", "PEXPIREAT m6 1", "SET m7 v EX 100", "PERSIST m7", "PERSIST m7",
 "SET r1 v", "RENAME r1 r2", "SET r3 v", "RENAMENX r2 r3", "RENAMENX r2 r4", "RENAME r4 r4",
 "SET c1 v", "COPY c1 c2", "COPY c1 c2", "COPY c1 c2 REPLACE", "COPY c1 c3 DB 1",
 "SET mv v", "MOVE mv 1", "MOVE missing 1",
 # lists (l)
 "RPUSH l1 a b c", "LPUSH l1 z", "RPUSHX l1 d", "LPUSHX l1 y", "RPUSHX lmissing a", "LPUSHX lmissing a",
 "LINSERT l1 BEFORE a q", "LINSERT l1 BEFORE nothere q", "LSET l1 0 Y", "LREM l1 1 q", "LREM l1 1 nothere",
 "LTRIM l1 0 2", "LTRIM l1 0 -1", "LPOP l1", "RPOP l1", "LPOP l1 5", "LPOP l1",
 "RPUSH l2 a b", "RPOPLPUSH l2 l3", "LMOVE l2 l3 LEFT RIGHT", "LMOVE l2 l3 LEFT RIGHT",
 "RPUSH l4 x", "LMOVE l4 l4 LEFT LEFT", "RPUSH l5 a b c", "LMPOP 2 lmissing l5 LEFT COUNT 2", "LMPOP 1 l5 RIGHT",
 "RPUSH l6 a b", "BLPOP l6 0", "BRPOP l6 0", "RPUSH l7 a", "BRPOPLPUSH l7 l8 0", "BLMOVE l8 l9 RIGHT LEFT 0",
 "RPUSH l10 a b", "BLMPOP 0 1 l10 LEFT COUNT 5", "LTRIM l9 1 0",
 # sets (s)
 "SADD st1 a b c", "SADD st1 a", "SREM st1 a zz", "SREM st1 zz", "SMOVE st1 st2 b", "SMOVE st1 st2 nothere",
 "SADD st3 x", "SPOP st3", "SADD st3 y", "SPOP st3 5", "SADD st4 a b", "SADD st5 b c",
 "SINTERSTORE st6 st4 st5", "SUNIONSTORE st7 st4 st5", "SDIFFSTORE st8 st4 st5", "SINTERSTORE st6 st4 stmissing",
 "SMOVE st2 st1 b",
 # hashes (h)
 "HSET h1 f1 v1 f2 v2", "HSET h1 f1 v1", "HSETNX h1 f1 x", "HSETNX h1 f3 x", "HMSET h1 f4 v", "HINCRBY h1 n 2",
 "HINCRBYFLOAT h1 fl 1.5", "HDEL h1 f1 zz", "HDEL h1 zz", "HDEL h1 f2 f3 f4 n fl",
 # sorted sets (z)
 "ZADD z1 1 a 2 b 3 c", "ZADD z1 1 a", "ZADD z1 5 a", "ZADD z1 INCR 1 a", "ZADD z1 NX 9 a", "ZINCRBY z1 1 b",
 "ZREM z1 zz", "ZREM z1 c", "ZADD z1 4 d 5 e 6 f", "ZREMRANGEBYSCORE z1 100 200", "ZREMRANGEBYSCORE z1 6 6",
 "ZREMRANGEBYRANK z1 0 0", "ZREMRANGEBYLEX z1 - +", "ZADD z2 1 a 2 b 3 c",
 "ZPOPMIN z2", "ZPOPMAX z2", "ZPOPMIN z2 5", "ZPOPMIN z2",
 "ZADD z3 1 a 2 b", "ZADD z4 2 b 3 c", "ZUNIONSTORE z5 2 z3 z4", "ZINTERSTORE z6 2 z3 z4", "ZDIFFSTORE z7 2 z3 z4",
 "ZINTERSTORE z6 2 z3 zmissing", "ZRANGESTORE z8 z3 0 -1", "ZRANGESTORE z8 zmissing 0 -1",
 "ZADD z9 1 a 2 b", "ZMPOP 1 z9 MIN", "BZPOPMIN z9 0", "ZADD z10 1 a", "BZPOPMAX z10 0", "ZADD z11 1 a 2 b", "BZMPOP 0 1 z11 MAX COUNT 5",
 # streams (t)
 "XADD x1 1-1 f v", "XADD x1 2-1 f v", "XADD x1 3-1 f v", "XADD xmissing NOMKSTREAM * f v",
 "XDEL x1 1-1", "XDEL x1 9-9", "XTRIM x1 MAXLEN 1", "XTRIM x1 MAXLEN 10", "XADD x1 MAXLEN 1 4-1 f v",
 "XSETID x1 10-1", "XGROUP CREATE x1 g1 0", "XGROUP CREATE x2 g1 $ MKSTREAM", "XGROUP SETID x1 g1 0",
 "XGROUP CREATECONSUMER x1 g1 c9", "XREADGROUP GROUP g1 c1 COUNT 5 STREAMS x1 >", "XACK x1 g1 4-1", "XADD x1 11-1 f v",
 "XREADGROUP GROUP g1 c2 STREAMS x1 >", "XCLAIM x1 g1 c3 0 11-1", "XAUTOCLAIM x1 g1 c4 0 0-0", "XGROUP DELCONSUMER x1 g1 c3",
 "XGROUP DESTROY x1 g1", "XGROUP DESTROY x1 g1",
 # bloom / hll
 "PFADD p1 a b", "PFADD p1 a", "PFADD p2 c", "PFMERGE p3 p1 p2",
 # overwrites and edge cases
 "SET e1 v", "SADD e2 a", "SADD e3 b", "SINTERSTORE e1 e2 e3", "SUNIONSTORE e1 e2 e3", "SET e4 v", "ZADD e5 1 a", "ZUNIONSTORE e4 1 e5",
 "SET e6 v", "COPY e5 e6 REPLACE", "SET e7 v", "RENAME e6 e7", "SET e9 v", "GETEX e9 PXAT 1",
 "SET e10 v", "SADD e10 x", "LPUSH e10 x", "HSET e10 f v", "ZADD e10 1 a", "XADD e10 * f v", "INCR e10", "SET e11 abc", "INCR e11",
 "RPUSH e12 a", "LINSERT e12 AFTER a b", "LSET e12 9 x", "LPOP e12 0", "SPOP e13", "SPOP e13 0", "ZPOPMIN e14 0",
 "SETRANGE e15 0 abc", "HSET e16 f 1", "HINCRBY e16 f 1", "HINCRBYFLOAT e16 f 0.5", "HSETNX e16 g 1",
 "XADD e17 1-0 a b", "XGROUP CREATE e17 g 0", "XCLAIM e17 g cx 0 5-5", "XAUTOCLAIM e17 g cy 0 0-0", "XREADGROUP GROUP g cz BLOCK 10 STREAMS e17 >",
 "ZADD e18 1 a", "ZADD e18 XX CH 2 a", "ZADD e18 GT 1 a", "ZADD e18 LT 1 a", "ZINCRBY e18 0 a",
 "PFADD e19", "PFADD e19", "PFMERGE e20", "SETBIT e21 0 0", "BITFIELD e22 GET u8 0", "BITFIELD e22 OVERFLOW FAIL INCRBY u8 0 300",
 "LPUSH e23 a", "RPOPLPUSH e23 e23", "SMOVE e24 e25 a", "SADD e24 a", "SMOVE e24 e24 a", "MOVE e24 0",
 # geo and sort
 "GEOADD g1 13.361389 38.115556 Palermo 15.087269 37.502669 Catania", "GEOADD g1 XX 13.361389 38.115556 Palermo",
 "GEOSEARCHSTORE g2 g1 FROMLONLAT 15 37 BYRADIUS 200 km", "GEORADIUS g1 15 37 200 km STORE g3", "GEOSEARCHSTORE g2 g1 FROMLONLAT 0 0 BYRADIUS 1 km",
 "RPUSH sl 3 1 2", "SORT sl STORE d9", "SORT sl BY nosort GET w_* STORE d10", "SORT nl STORE d9",
 # db-wide
 "SWAPDB 0 1", "SWAPDB 0 1", "FLUSHDB", "SELECT 1", "FLUSHDB", "SELECT 0", "FLUSHALL",
]

MISSES = ["SORT nl", "GEOPOS ng a", "GEODIST ng a b", "GET nokey", "SET k v", "GET k", "MGET k a b", "EXISTS nokey", "TYPE nokey", "TTL nokey", "HGET nh f", "HGETALL nh", "LRANGE nl 0 -1", "LLEN nl", "SMEMBERS ns", "SISMEMBER ns a", "ZSCORE nz a", "ZRANGE nz 0 -1", "XRANGE nx - +", "STRLEN nokey", "GETRANGE nokey 0 1", "SUNIONSTORE d1 na nb", "SINTER na nb", "LPUSH nl2 a", "INCR nn", "DEL nokey", "PFCOUNT np", "BITCOUNT nokey", "GETBIT nokey 1", "OBJECT ENCODING nokey", "RENAME nokey x", "LINDEX nl 0", "HLEN nh", "SCARD ns", "ZCARD nz", "XLEN nx", "TOUCH nokey", "GETDEL nokey", "GETEX nokey", "COPY nokey x2", "LPOS nl a", "ZRANK nz a", "HEXISTS nh f", "SMISMEMBER ns a", "ZMSCORE nz a", "LCS nokey k", "EXPIRE nokey 10", "PTTL nokey", "ZUNIONSTORE d2 2 nz1 nz2", "ZINTERSTORE d3 2 nz1 nz2", "ZRANGESTORE d4 nz1 0 -1", "BITOP OR d5 nb1 nb2", "PFMERGE d6 np1", "SMOVE ns1 ns2 a", "LMOVE nl1 nl2 LEFT LEFT", "RPOPLPUSH nl1 nl2", "SDIFFSTORE d7 ns1 ns2", "SINTERCARD 2 ns1 ns2", "ZINTERCARD 2 nz1 nz2", "ZUNION 2 nz1 nz2", "LMPOP 2 nl1 nl2 LEFT", "ZMPOP 1 nz1 MIN", "BLPOP nl1 0.01", "HRANDFIELD nh", "SRANDMEMBER ns", "ZRANDMEMBER nz", "LPOP nl1", "SPOP ns1", "HDEL nh f", "SREM ns1 a", "ZREM nz1 a", "XDEL nx 1-1", "PERSIST nokey", "HINCRBY nh f 1", "APPEND na2 x", "SETRANGE nr 0 x", "PFADD np2 a", "PFCOUNT np1 np2", "SUNION na nb", "XINFO STREAM nx", "LLEN nl"]


def record(port, flags, commands):
    c = C(port); sub = C(port)
    c.cmd('FLUSHALL'); c.cmd('CONFIG', 'SET', 'notify-keyspace-events', flags)
    sub.cmd('PSUBSCRIBE', '__key*__:*')
    out = []
    for line in commands:
        args = shlex.split(line)
        reply = c.cmd(*args)
        sub.send('PING')
        events = []
        while True:
            m = sub.raw()
            parts = m.split(b'\r\n')
            if parts[2] == b'pong': break
            events.append(parts[6].decode() + ' ' + parts[8].decode())   # channel, key
        out.append((args, reply.decode('latin1'), events))
    c.cmd('CONFIG', 'SET', 'notify-keyspace-events', '')
    c.cmd('FLUSHALL')
    return out


def emit(name, rows):
    print(f'    public static readonly Step[] {name} =')
    print('    [')
    for args, reply, events in rows:
        print(f'        new([{", ".join(cs(a) for a in args)}], {cs(reply)}, [{", ".join(cs(e) for e in events)}]),')
    print('    ];')


port = int(sys.argv[1])
print("""// Generated by Corpus/keyspace-events.py from redis-server 7.0.15: each step's command, its RESP2 reply and the
// keyspace events it published, as "channel key". KeyspaceEventCorpusTests sends the same commands to Tiered, with
// the keys in DRAM and with them on the SSD, and expects the same replies and events in the same order.

namespace Tiered.Server.Tests;

internal static class KeyspaceEventCorpus
{
    public sealed record Step(string[] Command, string Reply, string[] Events);
""")
emit('Events', record(port, 'AEn', EVENTS))
print()
emit('Misses', record(port, 'Em', MISSES))
print('}')
