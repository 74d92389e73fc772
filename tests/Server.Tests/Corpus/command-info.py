#!/usr/bin/env python3
# Brings Tiered's command table in line with redis-server 7.0's own COMMAND INFO, and records the replies the tests
# compare against. Run against a redis-server 7.0 (the spec):
#   redis-server --port 7801 --bind 127.0.0.1 --save '' --appendonly no --daemonize yes
#   python3 tests/Server.Tests/Corpus/command-info.py 7801
# It rewrites src/Server/Commands/commands.json in place: for every command and subcommand both servers have, the
# arity, flags (movablekeys is not data: Tiered derives it from its key finders), first/last/step, ACL categories,
# tips and key specs become Redis's; everything else (group, summary, help lines, Tiered-only commands) is kept.
# Then it writes tests/Server.Tests/CommandInfoCorpus.cs: COMMAND INFO of each such command, and COMMAND GETKEYS and
# GETKEYSANDFLAGS of the invocations below, with redis-server's reply in RESP2 and in RESP3.
import collections, json, os, shlex, sys
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from resp import C, rule_class

ROOT = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', '..'))
TABLE = os.path.join(ROOT, 'src', 'Server', 'Commands', 'commands.json')
CORPUS = os.path.join(ROOT, 'tests', 'Server.Tests', 'CommandInfoCorpus.cs')

# Invocations for COMMAND GETKEYS / GETKEYSANDFLAGS: every key-spec shape (index and keyword searches, range and
# keynum finds, limits, not_key, unknown and incomplete specs, variable flags), containers, and the error paths.
INVOCATIONS = [
    "get k", "get", "get a b", "set k v", "set k v GET", "set k v EX 10 get", "set k v NX", "getex k PERSIST",
    "mset a 1 b 2", "mset a 1 b", "msetnx a 1 b 2", "mget a b c", "del a b c", "unlink a b", "touch a", "exists a b",
    "rename a b", "renamenx a b", "copy a b", "copy a b DB 1 REPLACE", "move a 1", "object freq k", "object encoding k",
    "object", "object help", "object nope k", "memory usage k", "memory usage k SAMPLES 5", "memory stats",
    "lpush l a b", "lmove a b LEFT RIGHT", "blmove a b LEFT RIGHT 0", "rpoplpush a b", "brpoplpush a b 0",
    "blpop a b 0", "brpop a 0", "lmpop 2 a b LEFT", "lmpop 1 a RIGHT COUNT 2", "lmpop 0 a LEFT", "lmpop x a LEFT",
    "lmpop 3 a LEFT", "lmpop -1 a LEFT", "blmpop 0 2 a b LEFT", "blmpop 0 1 a LEFT COUNT 3", "blmpop 0 5 a LEFT",
    "sadd s m", "smove a b m", "sinter a b", "sinterstore d a b", "sunionstore d a", "sdiffstore d a b c",
    "sintercard 2 a b", "sintercard 2 a b LIMIT 1", "sintercard 0 a", "sintercard 3 a b",
    "zadd z 1 m", "zunionstore d 2 a b", "zunionstore d 2 a b WEIGHTS 1 2", "zinterstore d 1 a AGGREGATE MAX",
    "zdiffstore d 2 a b", "zunionstore d 0 a", "zunionstore d 3 a b", "zunionstore d x a", "zunion 2 a b",
    "zinter 1 a WITHSCORES", "zdiff 2 a b", "zintercard 2 a b", "zintercard 1 a LIMIT 5", "zmpop 2 a b MIN",
    "zmpop 1 a MAX COUNT 2", "bzmpop 0 2 a b MIN", "bzpopmin a b 0", "bzpopmax a 0", "zrangestore d s 0 -1",
    "zrange s 0 -1", "hset h f v", "hget h f", "pfadd p a", "pfcount a b", "pfmerge d a b", "setbit b 0 1",
    "bitop AND d a b", "bitcount b", "bitfield b GET u8 0", "bitfield b SET u8 0 1", "bitfield b INCRBY u8 0 1",
    "bitfield b OVERFLOW SAT GET u8 0", "bitfield b", "bitfield_ro b GET u8 0", "lcs a b",
    "xadd s * f v", "xadd s MAXLEN ~ 10 * f v", "xtrim s MAXLEN 10", "xdel s 1-1", "xlen s", "xrange s - +",
    "xread STREAMS a 0", "xread COUNT 2 STREAMS a b 0 0", "xread BLOCK 0 STREAMS a b 0 0", "xread STREAMS a b 0",
    "xread COUNT 2 a 0", "xread STREAMS", "xreadgroup GROUP g c STREAMS a >", "xreadgroup GROUP g c COUNT 1 STREAMS a b > >",
    "xreadgroup GROUP g c STREAMS a b >", "xgroup create s g $", "xgroup createconsumer s g c", "xgroup destroy s g",
    "xgroup setid s g 0", "xgroup help", "xinfo stream s", "xinfo groups s", "xinfo consumers s g", "xack s g 1-1",
    "xclaim s g c 0 1-1", "xautoclaim s g c 0 0", "xpending s g", "xsetid s 1-1",
    "geoadd g 0 0 m", "georadius g 0 0 1 km", "georadius g 0 0 1 km STORE d", "georadius g 0 0 1 km STOREDIST d",
    "georadius g 0 0 1 km STORE d STOREDIST e", "georadiusbymember g m 1 km STORE d", "georadius_ro g 0 0 1 km",
    "geosearch g FROMMEMBER m BYRADIUS 1 km", "geosearchstore d g FROMMEMBER m BYBOX 1 1 km", "geodist g a b",
    "sort k", "sort k ALPHA", "sort k BY w_* GET o_* STORE d", "sort k STORE d STORE e", "sort k LIMIT 0 1 STORE d",
    "sort k STORE", "sort_ro k", "sort_ro k BY w_*", "migrate h 1 k 0 100", "migrate h 1 \"\" 0 100 KEYS a b",
    "migrate h 1 \"\" 0 100 COPY REPLACE KEYS a b", "migrate h 1 k 0 100 COPY",
    "eval s 2 a b c", "eval s 0", "eval s 1", "eval s x", "eval s -1", "evalsha x 1 a", "eval_ro s 1 a",
    "evalsha_ro x 0", "fcall f 2 a b", "fcall f 0", "fcall_ro f 1 a", "fcall f 3 a",
    "expire k 10", "pexpireat k 10", "ttl k", "type k", "dump k", "restore k 0 x", "watch a b", "spublish c m",
    "ssubscribe a b", "sunsubscribe a", "publish c m", "subscribe c", "ping", "nope k", "", "lpos l a",
    "bf.add f x", "debug object k", "wait 0 0", "keys *", "scan 0", "exec", "hello 3",
]


def parse(b, i=0):
    """A RESP3 reply as Python values (maps as dicts, sets as lists)."""
    t = b[i:i+1]; j = b.index(b'\r\n', i); head = b[i+1:j]; i = j + 2
    if t in b'$=':
        n = int(head)
        return (None, i) if n < 0 else (b[i:i+n].decode(), i + n + 2)
    if t in b'*~%':
        n = int(head)
        if n < 0: return None, i
        out = []
        for _ in range(n * (2 if t == b'%' else 1)):
            v, i = parse(b, i); out.append(v)
        return (dict(zip(out[::2], out[1::2])) if t == b'%' else out), i
    if t == b':': return int(head), i
    return head.decode(), i


def redis_info(port):
    """Every command and subcommand of redis-server's COMMAND, by full name (a container's "subs" in Redis's order)."""
    found = {}
    def add(e):
        name, arity, flags, first, last, step, acl, tips, specs, subs = e
        found[name] = dict(arity=arity, flags=flags, keys=[first, last, step], acl=acl, tips=tips, specs=specs,
                           subs=[x[0].split('|')[1] for x in subs])
        for s in subs: add(s)
    for e in parse(C(port, 3).cmd('COMMAND'))[0]: add(e)
    return found


def spec(s):
    """A key spec in commands.json's compact form."""
    out = collections.OrderedDict()
    if 'notes' in s: out['notes'] = s['notes']
    out['flags'] = s['flags']
    bs, fk = s['begin_search'], s['find_keys']
    if bs['type'] == 'index': out['index'] = bs['spec']['index']
    elif bs['type'] == 'keyword':
        out['keyword'] = bs['spec']['keyword']; out['startfrom'] = bs['spec']['startfrom']
    if fk['type'] == 'range': out['range'] = [fk['spec']['lastkey'], fk['spec']['keystep'], fk['spec']['limit']]
    elif fk['type'] == 'keynum': out['keynum'] = [fk['spec']['keynumidx'], fk['spec']['firstkey'], fk['spec']['keystep']]
    if bs['type'] == 'unknown' or fk['type'] == 'unknown':
        assert bs['type'] == fk['type'] == 'unknown', s
        out['unknown'] = True
    return out


ORDER = ['group', 'since', 'arity', 'flags', 'keys', 'acl', 'tips', 'key_specs', 'summary', 'complexity', 'help', 'subcommands']


def update(name, e, r):
    if name not in r: return e
    x = r[name]
    e = collections.OrderedDict(e)
    if e['arity'] != x['arity']: print(f'{name}: arity {e["arity"]} -> {x["arity"]}', file=sys.stderr)
    e['arity'] = x['arity']
    e['flags'] = [f for f in x['flags'] if f != 'movablekeys']
    if x['keys'][0]: e['keys'] = x['keys']
    else: e.pop('keys', None)
    e['acl'] = x['acl']
    if x['tips']: e['tips'] = x['tips']
    else: e.pop('tips', None)
    if x['specs']: e['key_specs'] = [spec(s) for s in x['specs']]
    else: e.pop('key_specs', None)
    e.pop('not_key', None)
    if 'subcommands' in e:
        # Redis lists subcommands in its dict's order, which its hash seed changes from one process to the next:
        # commands.json keeps them sorted, and the corpus below records containers in that order.
        e['subcommands'] = collections.OrderedDict((n, update(name + '|' + n, e['subcommands'][n], r)) for n in sorted(e['subcommands']))
    return collections.OrderedDict([(k, e[k]) for k in ORDER if k in e] + [(k, v) for k, v in e.items() if k not in ORDER])


# commands.json's layout: one entry per command, its short fields on one line, one line per list item.
LINE1 = ['group', 'since', 'arity', 'flags', 'keys']
def j(v): return json.dumps(v, ensure_ascii=False)
def entry(name, e, ind):
    p = ' ' * ind
    lines = [p + '  ' + ', '.join(j(k) + ': ' + j(e[k]) for k in LINE1 if k in e)]
    for k, v in e.items():
        if k in LINE1: continue
        if k in ('help', 'key_specs'):
            lines.append(p + '  ' + j(k) + ': [\n' + ',\n'.join(p + '    ' + j(x) for x in v) + '\n' + p + '  ]')
        elif k == 'subcommands':
            lines.append(p + '  "subcommands": {\n' + ',\n'.join(entry(n, s, ind + 4) for n, s in v.items()) + '\n' + p + '  }')
        else:
            lines.append(p + '  ' + j(k) + ': ' + j(v))
    return p + j(name) + ': {\n' + ',\n'.join(lines) + '\n' + p + '}'


def command_info(c, name, table, r):
    """Redis's COMMAND INFO reply for name, a container's subcommand entries put in commands.json's order."""
    reply = c.cmd('COMMAND', 'INFO', name)
    if '|' in name or not r[name]['subs']: return reply.decode()
    # Redis's subcommand dict may be rehashing, so its order can change between two calls: find each entry instead.
    entries = {s: c.cmd('COMMAND', 'INFO', name + '|' + s)[len(b'*1\r\n'):] for s in r[name]['subs']}
    tail = sum(len(e) for e in entries.values())
    prefix, subs = reply[:len(reply) - tail], reply[len(reply) - tail:]
    assert all(e in subs for e in entries.values()), name
    return (prefix + b''.join(entries[s] for s in table[name]['subcommands'])).decode()


def words(line):
    return shlex.split(line)


def main():
    port = int(sys.argv[1])
    r = redis_info(port)
    table = json.load(open(TABLE), object_pairs_hook=collections.OrderedDict)
    table = collections.OrderedDict((n, update(n, e, r)) for n, e in table.items())
    with open(TABLE, 'w') as f:
        f.write('{\n' + ',\n'.join(entry(n, e, 2) for n, e in table.items()) + '\n}\n')

    names = []   # a container only when it has exactly Redis's subcommands, or its entry cannot be Redis's
    for n, e in table.items():
        if n in r and sorted(e.get('subcommands', {})) == sorted(r[n]['subs']): names.append(n)
        elif n in r: print(f'COMMAND INFO {n} not recorded: its subcommands differ from Redis\'s', file=sys.stderr)
        for s in e.get('subcommands', {}):
            if n + '|' + s in r: names.append(n + '|' + s)
    c2, c3 = C(port, 2), C(port, 3)
    info = [(['COMMAND', 'INFO', n], command_info(c2, n, table, r), command_info(c3, n, table, r)) for n in names]
    keys = []
    for line in INVOCATIONS:
        name = (words(line) or [''])[0].lower()
        if name not in ('', 'nope') and (name not in table or name not in r):
            print(f'skipped (not a command of both servers): {line}', file=sys.stderr)
            continue
        for sub in ('GETKEYS', 'GETKEYSANDFLAGS'):
            cmd = ['COMMAND', sub] + words(line)
            keys.append((cmd, c2.cmd(*cmd).decode(), c3.cmd(*cmd).decode()))
    with open(CORPUS, 'w') as f:
        f.write(rule_class([
            'Generated from redis-server 7.0.15 by Corpus/command-info.py, which also wrote commands.json\'s Redis fields:',
            'COMMAND INFO of every command and subcommand Tiered shares with Redis, and COMMAND GETKEYS and GETKEYSANDFLAGS',
            'of invocations covering every key-spec shape, each recorded in RESP2 and in RESP3. CommandInfoCorpusTests',
            'sends the same commands to Tiered and expects these bytes.'], 'CommandInfoCorpus', [
            ('Info', 'COMMAND INFO of each shared command', info),
            ('Keys', 'COMMAND GETKEYS and GETKEYSANDFLAGS of each invocation', keys)]))
    print(f'{len(info)} COMMAND INFO rules, {len(keys)} key rules', file=sys.stderr)


main()
