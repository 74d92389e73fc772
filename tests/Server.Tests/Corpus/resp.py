# Shared by the corpus scripts in this folder: a raw RESP client for redis-server and a C# string literal writer.
import select, socket


class C:
    """One connection; replies come back as their raw bytes (RESP2, or RESP3 after HELLO 3)."""
    def __init__(self, port, proto=2):
        self.s = socket.create_connection(('127.0.0.1', port)); self.buf = b''
        if proto == 3: self.cmd('HELLO', '3')
    def send(self, *a):
        out = b'*%d\r\n' % len(a)
        for x in a:
            if isinstance(x, str): x = x.encode()
            out += b'$%d\r\n%s\r\n' % (len(x), x)
        self.s.sendall(out)
    def _line(self):
        while b'\r\n' not in self.buf:
            d = self.s.recv(65536)
            if not d: raise EOFError
            self.buf += d
        i = self.buf.index(b'\r\n'); l = self.buf[:i]; self.buf = self.buf[i+2:]; return l
    def _n(self, n):
        while len(self.buf) < n + 2:
            d = self.s.recv(65536)
            if not d: raise EOFError
            self.buf += d
        r = self.buf[:n]; self.buf = self.buf[n+2:]; return r
    def raw(self):
        l = self._line(); t = l[:1]; out = l + b'\r\n'
        if t in b'$=!' and l[1:] != b'-1':
            out += self._n(int(l[1:])) + b'\r\n'
        elif t in b'*~>%|' and l[1:] != b'-1':
            n = int(l[1:]) * (2 if t in b'%|' else 1)
            for _ in range(n): out += self.raw()
        return out
    def cmd(self, *a):
        self.send(*a); return self.raw()
    def pending(self, timeout=0.05):
        """Every reply or push that arrives within timeout."""
        res = []
        while True:
            if self.buf: res.append(self.raw()); continue
            r, _, _ = select.select([self.s], [], [], timeout)
            if not r: return res
            d = self.s.recv(65536)
            if not d: return res
            self.buf += d


def cs(s):
    """A C# string literal of s (control and non-ASCII characters as \\u escapes)."""
    out = '"'
    for ch in s:
        if ch == '\\': out += '\\\\'
        elif ch == '"': out += '\\"'
        elif ch == '\r': out += '\\r'
        elif ch == '\n': out += '\\n'
        elif ord(ch) < 0x20 or ord(ch) > 0x7e: out += '\\u%04x' % ord(ch)
        else: out += ch
    return out + '"'


def rule_class(header, class_name, tables):
    """A C# file of rule tables: header comment lines, then for each (name, doc, rows) a
    (string[] Command, string Resp2, string Resp3)[] field, rows being (command, RESP2 reply, RESP3 reply)."""
    out = [f'// {line}' for line in header] + ['', 'namespace Tiered.Server.Tests;', '', f'internal static class {class_name}', '{']
    for name, doc, rows in tables:
        out.append('    /// <summary>%s: the command, then redis-server\'s reply in RESP2 and in RESP3.</summary>' % doc)
        out.append('    public static readonly (string[] Command, string Resp2, string Resp3)[] %s =' % name)
        out.append('    [')
        for cmd, r2, r3 in rows:
            out.append('        ([%s],' % ', '.join(cs(a) for a in cmd))
            out.append('            %s,' % cs(r2))
            out.append('            %s),' % cs(r3))
        out.append('    ];')
        out.append('')
    out.append('}')
    return '\n'.join(out) + '\n'
