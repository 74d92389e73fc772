#!/usr/bin/env python3
"""COMMAND INFO and COMMAND DOCS of every command Tiered has, byte for byte against redis-server 7 (RESP2).

    benchmarks/command-info-vs-redis.py [tiered_port redis_port]

With no ports it starts both servers on loopback (Tiered from the Release build, redis-server from PATH) and stops
them. Prints how many commands' replies are identical, then each differing command with the first element that
differs (client libraries route and parse by these replies: arity, flags, key positions, ACL categories, key specs).
"""
import os, socket, subprocess, sys, tempfile, time

def command(sock, *args):
    out = b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in (x.encode() for x in args))
    sock.sendall(out)
    return read(sock.makefile("rb"))

def read(f):
    """Returns (raw bytes, parsed value) of one RESP2/3 reply."""
    line = f.readline()
    kind, rest = line[:1], line[1:-2]
    if kind in b"+-:,#(_":
        return line, rest.decode(errors="replace")
    if kind in b"$=!":
        n = int(rest)
        if n < 0:
            return line, None
        data = f.read(n + 2)
        return line + data, data[:-2].decode(errors="replace")
    if kind in b"*~>%|":
        n = int(rest)
        if n < 0:
            return line, None
        count = n * 2 if kind in b"%|" else n
        raw, items = line, []
        for _ in range(count):
            r, v = read(f)
            raw += r
            items.append(v)
        return raw, items
    raise ValueError("bad reply: %r" % line)

def first_difference(a, b, path="reply"):
    if type(a) != type(b) or not isinstance(a, list):
        return None if a == b else "%s: tiered %r, redis %r" % (path, a, b)
    for i in range(max(len(a), len(b))):
        if i >= len(a) or i >= len(b):
            return "%s: tiered has %d elements, redis %d" % (path, len(a), len(b))
        d = first_difference(a[i], b[i], "%s[%d]" % (path, i))
        if d:
            return d
    return None

def connect(port):
    for _ in range(100):
        try:
            return socket.create_connection(("127.0.0.1", port))
        except OSError:
            time.sleep(0.2)
    raise SystemExit("no server on port %d" % port)

def main():
    procs = []
    if len(sys.argv) == 3:
        tport, rport = int(sys.argv[1]), int(sys.argv[2])
    else:
        tport, rport = 16579, 16580
        root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
        dll = os.path.join(root, "src/Server/bin/Release/net10.0/tiered-server.dll")
        tmp = tempfile.mkdtemp(prefix="command-info.")
        procs.append(subprocess.Popen(["dotnet", dll, "--port", str(tport), "--bind", "127.0.0.1", "--appendonly", "no", "--dir", tmp],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        procs.append(subprocess.Popen(["redis-server", "--port", str(rport), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", tmp],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    try:
        t, r = connect(tport), connect(rport)
        names = sorted(command(t, "COMMAND", "LIST")[1])
        redis_names = set(command(r, "COMMAND", "LIST")[1])
        for what in ("INFO", "DOCS"):
            same, differ, absent = 0, [], 0
            for n in names:
                if n not in redis_names:
                    absent += 1
                    continue
                (traw, tval), (rraw, rval) = command(t, "COMMAND", what, n), command(r, "COMMAND", what, n)
                if traw == rraw:
                    same += 1
                else:
                    differ.append((n, first_difference(tval, rval)))
            print("COMMAND %s: %d of %d commands identical to redis-server's, %d differ, %d not in redis-server" %
                  (what, same, same + len(differ), len(differ), absent))
            for n, d in differ:
                print("  %-22s %s" % (n, d))
    finally:
        for p in procs:
            p.terminate()
            p.wait()

main()
