namespace Tiered.Tiering.Rdb;

// Measures where one RDB entry ends without decoding it: the streaming loader's answer to "truncated or malformed?".
//
// Why a separate pass: RdbReader (and the value decoders on it) return false both when the bytes run out and when
// they are wrong, so a loader fed from a socket could not tell a half-received value from a damaged one. This
// scanner walks only the framing of an entry (lengths, string headers, counts, module opcodes), skipping every
// string's bytes by their length, so it costs one step per element, not per byte, and ends in one of three ways:
//
//   complete    Position is the entry's length: decode exactly those bytes; a failure then is real damage
//   short       the bytes ran out: Need is the smallest buffer (from the entry's start) that can get further
//   malformed   a framing byte no RDB writer produces (a bad length prefix, an unknown type, an absurd size)
//
// The framing of each value type is the table in RdbValueReader.cs (streams: RdbStreams.cs; module values: a module
// id, then opcode/value pairs up to opcode 0, as Redis's rdbLoadCheckModuleValue walks them).

/// <summary>Measures an RDB entry's length over a span that may hold only part of it.</summary>
internal ref struct RdbExtent(ReadOnlySpan<byte> data)
{
    /// <summary>The largest string Redis writes (proto-max-bulk-len's ceiling): a longer header is damage.</summary>
    private const ulong MaxString = 512UL * 1024 * 1024;

    private readonly ReadOnlySpan<byte> _data = data;

    /// <summary>Bytes measured so far.</summary>
    public int Position { get; private set; }

    /// <summary>After a short scan: the buffer length (from the span's start) needed to get further.</summary>
    public long Need { get; private set; }

    /// <summary>The framing is invalid (set together with a false result).</summary>
    public bool Malformed { get; private set; }

    private bool Bad()
    {
        Malformed = true;
        return false;
    }

    public bool Skip(ulong n)
    {
        if (n > (ulong)(_data.Length - Position))
        {
            Need = Position + (long)n;
            return false;
        }
        Position += (int)n;
        return true;
    }

    public bool Byte(out byte b)
    {
        b = 0;
        if (!Skip(1)) return false;
        b = _data[Position - 1];
        return true;
    }

    /// <summary>A length, or a string's special encoding (0-3, top bits 11) in <paramref name="encoding"/>.</summary>
    public bool Length(out ulong n, out int encoding)
    {
        n = 0;
        encoding = -1;
        if (Position == _data.Length) return Skip(1);   // sets Need
        int size = RdbReader.LengthPrefix(_data[Position..], out n, out encoding);
        return size == 0 ? Bad() : Skip((ulong)size);
    }

    public bool Length(out ulong n) => Length(out n, out int encoding) && (encoding == -1 || Bad());

    /// <summary>A count of items of at least one byte each.</summary>
    private bool Count(out ulong n) => Length(out n) && (n <= int.MaxValue || Bad());

    public bool String()
    {
        if (!Length(out ulong len, out int encoding)) return false;
        switch (encoding)
        {
            case -1: return len <= MaxString ? Skip(len) : Bad();
            case 0 or 1 or 2: return Skip(1UL << encoding);
            case 3: return Length(out ulong clen) && Length(out _) && (clen <= MaxString ? Skip(clen) : Bad());
            default: return Bad();
        }
    }

    private bool Strings(ulong n)
    {
        for (ulong i = 0; i < n; i++)
            if (!String()) return false;
        return true;
    }

    /// <summary>An object of type <paramref name="type"/> (the byte before it).</summary>
    public bool Value(RdbType type)
    {
        ulong n;
        switch (type)
        {
            case RdbType.String or RdbType.HashZipmap or RdbType.ListZiplist or RdbType.SetIntset or RdbType.ZSetZiplist
                or RdbType.HashZiplist or RdbType.HashListpack or RdbType.ZSetListpack or RdbType.SetListpack:
                return String();
            case RdbType.List or RdbType.Set or RdbType.ListQuicklist:
                return Count(out n) && Strings(n);
            case RdbType.Hash:
                return Count(out n) && Strings(2 * n);
            case RdbType.ZSet:
                if (!Count(out n)) return false;
                for (ulong i = 0; i < n; i++)
                {
                    if (!String() || !Byte(out byte len)) return false;
                    if (len < 253 && !Skip(len)) return false;
                }
                return true;
            case RdbType.ZSet2:
                if (!Count(out n)) return false;
                for (ulong i = 0; i < n; i++)
                    if (!String() || !Skip(8)) return false;
                return true;
            case RdbType.ListQuicklist2:
                if (!Count(out n)) return false;
                for (ulong i = 0; i < n; i++)
                    if (!Length(out _) || !String()) return false;
                return true;
            case RdbType.StreamListpacks or RdbType.StreamListpacks2 or RdbType.StreamListpacks3:
                return Stream(type);
            case RdbType.Module2:
                return Length(out _) && ModuleValue();
            default:
                return Bad();   // the pre-release module type, unknown types
        }
    }

    private bool Lengths(int n)
    {
        for (int i = 0; i < n; i++)
            if (!Length(out _)) return false;
        return true;
    }

    private bool Stream(RdbType type)
    {
        if (!Count(out ulong nodes) || !Strings(2 * nodes)) return false;
        if (!Lengths(type == RdbType.StreamListpacks ? 3 : 8)) return false;   // length, last id; [_2+] first, max-deleted, added
        if (!Count(out ulong groups)) return false;
        for (ulong g = 0; g < groups; g++)
        {
            if (!String() || !Lengths(type == RdbType.StreamListpacks ? 2 : 3)) return false;   // last delivered [, entries read]
            if (!Count(out ulong pending)) return false;
            for (ulong p = 0; p < pending; p++)
                if (!Skip(24) || !Length(out _)) return false;   // ID, delivery time, delivery count
            if (!Count(out ulong consumers)) return false;
            for (ulong c = 0; c < consumers; c++)
            {
                if (!String() || !Skip(type == RdbType.StreamListpacks3 ? 16UL : 8UL)) return false;
                if (!Count(out ulong ids) || !Skip(16 * ids)) return false;
            }
        }
        return true;
    }

    /// <summary>A module value after its id: opcode/value pairs up to opcode 0 (EOF).</summary>
    public bool ModuleValue()
    {
        while (true)
        {
            if (!Length(out ulong op)) return false;
            bool ok = op switch
            {
                0 => true,
                1 or 2 => Length(out _),
                3 => Skip(4),
                4 => Skip(8),
                5 => String(),
                _ => Bad(),
            };
            if (!ok) return false;
            if (op == 0) return true;
        }
    }
}
