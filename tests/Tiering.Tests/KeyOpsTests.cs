using System.Text;
using Tiered.Tiering.Base;
using Tiered.Tiering.Engine;
using Tiered.Tiering.Hot;
using Tiered.Tiering.Types.Keys;
using Tiered.Tiering.Types.Strings;

namespace Tiered.Tiering.Tests;

public sealed class KeyOpsTests
{
    private readonly Store _store = new(new EngineOptions());
    private Database Db => _store.Databases[0];

    private static byte[] K(string s) => Encoding.UTF8.GetBytes(s);

    private void Set(string key, string value, long expireAt = 0) => StringOps.Set(Db, K(key), K(value), expireAt: expireAt);

    private string? Get(string key, Database? db = null)
        => StringOps.Get(db ?? Db, K(key), out ReadOnlySpan<byte> v) == Status.Ok ? Encoding.UTF8.GetString(v) : null;

    private long Now => _store.Clock.NowMs;

    /// <summary>Moves engine time forward, as if <paramref name="ms"/> passed.</summary>
    private void Advance(long ms)
    {
        _store.Clock.OffsetMs += ms;
        _store.Clock.Refresh();
    }

    private static List<string> Strings(List<byte[]> keys) => keys.Select(k => Encoding.UTF8.GetString(k)).Order().ToList();

    [Fact]
    public void DeleteRemovesALiveKeyOnlyOnce()
    {
        Set("a", "1");
        Assert.True(KeyOps.Delete(Db, K("a")));
        Assert.False(KeyOps.Delete(Db, K("a")));
        Assert.Equal(0, Db.Count);
        Assert.Equal(0, _store.UsedMemory);
    }

    [Fact]
    public void ExpiredKeyIsGoneOnAccessWithoutActiveExpiry()
    {
        Set("a", "1", expireAt: Now + 1000);
        Assert.True(KeyOps.Exists(Db, K("a")));
        Advance(1000);
        Assert.Equal(1, Db.Count); // not reclaimed yet
        Assert.False(KeyOps.Exists(Db, K("a")));
        Assert.Equal(0, Db.Count);
        Assert.Equal(0, Db.Expires);
        Assert.Equal(1, _store.Stats.ExpiredKeys);
        Assert.False(KeyOps.Delete(Db, K("a")));
    }

    [Fact]
    public void ExistsCountsHitsAndMissesButDoesNotTouch()
    {
        Set("a", "1");
        Advance(5000);
        Assert.True(KeyOps.Exists(Db, K("a")));
        Assert.False(KeyOps.Exists(Db, K("b")));
        Assert.Equal(1, _store.Stats.KeyspaceHits);
        Assert.Equal(1, _store.Stats.KeyspaceMisses);
        Assert.True(KeyOps.ObjectIdleTime(Db, K("a"), out long idle));
        Assert.Equal(5, idle);
        Assert.True(KeyOps.Touch(Db, K("a")));
        Assert.True(KeyOps.ObjectIdleTime(Db, K("a"), out idle));
        Assert.Equal(0, idle);
        Assert.False(KeyOps.Touch(Db, K("missing")));
    }

    [Fact]
    public void TypeReportsTheValueKindAndNoneWhenMissing()
    {
        Set("s", "v");
        Db.Add(K("l"), Hot.KeyIndex.Hash(K("l")), ValueKind.List, new object(), 0);
        Db.Add(K("z"), Hot.KeyIndex.Hash(K("z")), ValueKind.ZSet, new object(), 0);
        Assert.Equal("string", Encoding.ASCII.GetString(KeyOps.TypeName(KeyOps.TypeOf(Db, K("s")))));
        Assert.Equal("list", Encoding.ASCII.GetString(KeyOps.TypeName(KeyOps.TypeOf(Db, K("l")))));
        Assert.Equal("zset", Encoding.ASCII.GetString(KeyOps.TypeName(KeyOps.TypeOf(Db, K("z")))));
        Assert.Equal("none", Encoding.ASCII.GetString(KeyOps.TypeName(KeyOps.TypeOf(Db, K("x")))));
    }

    [Theory]
    [InlineData(long.MaxValue / 1000 + 1, true, false, false)]
    [InlineData(long.MinValue / 1000 - 1, true, false, false)]
    [InlineData(long.MaxValue / 1000, true, false, true)]
    [InlineData(long.MaxValue, false, true, false)]
    [InlineData(long.MaxValue, false, false, true)]
    [InlineData(-5, true, true, true)]
    public void AbsoluteExpireDetectsOverflow(long when, bool seconds, bool relative, bool ok)
        => Assert.Equal(ok, KeyOps.TryAbsoluteExpire(when, seconds, relative, 1_700_000_000_000, out _));

    [Fact]
    public void AbsoluteExpireScalesAndAddsNow()
    {
        Assert.True(KeyOps.TryAbsoluteExpire(10, seconds: true, relative: true, 1000, out long abs));
        Assert.Equal(11_000, abs);
        Assert.True(KeyOps.TryAbsoluteExpire(10, seconds: false, relative: false, 1000, out abs));
        Assert.Equal(10, abs);
    }

    [Fact]
    public void ExpireSetsTtlAndMissingKeyIsNotFound()
    {
        Set("a", "1");
        Assert.Equal(Status.NotFound, KeyOps.Expire(Db, K("b"), Now + 5000, UpdateCondition.None));
        Assert.Equal(Status.Ok, KeyOps.Expire(Db, K("a"), Now + 5000, UpdateCondition.None));
        Assert.Equal(5000, KeyOps.Ttl(Db, K("a"), TtlForm.Milliseconds));
        Assert.Equal(1, Db.Expires);
    }

    [Fact]
    public void ExpireInThePastDeletesTheKeyAndSucceeds()
    {
        Set("a", "1");
        Assert.Equal(Status.Ok, KeyOps.Expire(Db, K("a"), Now - 1, UpdateCondition.None));
        Assert.Equal(0, Db.Count);
        Assert.Equal(-2, KeyOps.Ttl(Db, K("a"), TtlForm.Seconds));
        Set("b", "1");
        Assert.Equal(Status.Ok, KeyOps.Expire(Db, K("b"), Now, UpdateCondition.None)); // "now" is already past
        Assert.Equal(0, Db.Count);
    }

    [Fact]
    public void ExpireNxOnlySetsWhenThereIsNoTtl()
    {
        Set("a", "1");
        Assert.Equal(Status.Ok, KeyOps.Expire(Db, K("a"), Now + 1000, UpdateCondition.Nx));
        Assert.Equal(Status.ConditionNotMet, KeyOps.Expire(Db, K("a"), Now + 9000, UpdateCondition.Nx));
        Assert.Equal(1000, KeyOps.Ttl(Db, K("a"), TtlForm.Milliseconds));
    }

    [Fact]
    public void ExpireXxOnlySetsWhenThereIsATtl()
    {
        Set("a", "1");
        Assert.Equal(Status.ConditionNotMet, KeyOps.Expire(Db, K("a"), Now + 1000, UpdateCondition.Xx));
        Assert.Equal(-1, KeyOps.Ttl(Db, K("a"), TtlForm.Milliseconds));
        KeyOps.Expire(Db, K("a"), Now + 1000, UpdateCondition.None);
        Assert.Equal(Status.Ok, KeyOps.Expire(Db, K("a"), Now + 2000, UpdateCondition.Xx));
        Assert.Equal(2000, KeyOps.Ttl(Db, K("a"), TtlForm.Milliseconds));
    }

    [Fact]
    public void ExpireGtTreatsNoTtlAsInfiniteAndOnlyExtends()
    {
        Set("a", "1");
        Assert.Equal(Status.ConditionNotMet, KeyOps.Expire(Db, K("a"), Now + 1000, UpdateCondition.Gt));
        KeyOps.Expire(Db, K("a"), Now + 1000, UpdateCondition.None);
        Assert.Equal(Status.ConditionNotMet, KeyOps.Expire(Db, K("a"), Now + 1000, UpdateCondition.Gt));
        Assert.Equal(Status.ConditionNotMet, KeyOps.Expire(Db, K("a"), Now + 500, UpdateCondition.Gt | UpdateCondition.Xx));
        Assert.Equal(Status.Ok, KeyOps.Expire(Db, K("a"), Now + 3000, UpdateCondition.Gt));
        Assert.Equal(3000, KeyOps.Ttl(Db, K("a"), TtlForm.Milliseconds));
    }

    [Fact]
    public void ExpireLtTreatsNoTtlAsInfiniteAndOnlyShortens()
    {
        Set("a", "1");
        Assert.Equal(Status.Ok, KeyOps.Expire(Db, K("a"), Now + 5000, UpdateCondition.Lt));
        Assert.Equal(Status.ConditionNotMet, KeyOps.Expire(Db, K("a"), Now + 5000, UpdateCondition.Lt));
        Assert.Equal(Status.ConditionNotMet, KeyOps.Expire(Db, K("a"), Now + 9000, UpdateCondition.Lt));
        Assert.Equal(Status.Ok, KeyOps.Expire(Db, K("a"), Now + 2000, UpdateCondition.Lt | UpdateCondition.Xx));
        Assert.Equal(2000, KeyOps.Ttl(Db, K("a"), TtlForm.Milliseconds));
        Set("b", "1");
        Assert.Equal(Status.ConditionNotMet, KeyOps.Expire(Db, K("b"), Now + 2000, UpdateCondition.Lt | UpdateCondition.Xx));
    }

    [Fact]
    public void TtlFormsRoundLikeRedis()
    {
        Set("a", "1");
        long at = Now + 1500;
        KeyOps.Expire(Db, K("a"), at, UpdateCondition.None);
        Assert.Equal(2, KeyOps.Ttl(Db, K("a"), TtlForm.Seconds)); // (1500 + 500) / 1000
        Assert.Equal(1500, KeyOps.Ttl(Db, K("a"), TtlForm.Milliseconds));
        Assert.Equal((at + 500) / 1000, KeyOps.Ttl(Db, K("a"), TtlForm.UnixSeconds));
        Assert.Equal(at, KeyOps.Ttl(Db, K("a"), TtlForm.UnixMilliseconds));
        Advance(1100);
        Assert.Equal(0, KeyOps.Ttl(Db, K("a"), TtlForm.Seconds)); // 400 ms rounds down
        Assert.Equal(at - Now, KeyOps.Ttl(Db, K("a"), TtlForm.Milliseconds)); // about 400: Advance also lets real time pass
        Set("b", "1");
        Assert.Equal(-1, KeyOps.Ttl(Db, K("b"), TtlForm.Seconds));
        Assert.Equal(-1, KeyOps.Ttl(Db, K("b"), TtlForm.UnixMilliseconds));
        Assert.Equal(-2, KeyOps.Ttl(Db, K("c"), TtlForm.Milliseconds));
    }

    [Fact]
    public void PersistRemovesTheTtlOnce()
    {
        Set("a", "1", expireAt: Now + 1000);
        Assert.True(KeyOps.Persist(Db, K("a")));
        Assert.False(KeyOps.Persist(Db, K("a")));
        Assert.False(KeyOps.Persist(Db, K("missing")));
        Assert.Equal(-1, KeyOps.Ttl(Db, K("a"), TtlForm.Seconds));
        Assert.Equal(0, Db.Expires);
    }

    [Fact]
    public void RenameMovesValueAndTtlAndOverwritesAnyType()
    {
        Set("src", "v", expireAt: Now + 7000);
        Db.Add(K("dst"), Hot.KeyIndex.Hash(K("dst")), ValueKind.Hash, new object(), 0);
        Assert.Equal(Status.Ok, KeyOps.Rename(Db, K("src"), K("dst"), onlyIfAbsent: false));
        Assert.Equal("v", Get("dst"));
        Assert.Null(Get("src"));
        Assert.Equal(7000, KeyOps.Ttl(Db, K("dst"), TtlForm.Milliseconds));
        Assert.Equal(1, Db.Count);
        Assert.Equal(1, Db.Expires);
    }

    [Fact]
    public void MoveTakesValueTtlAndAccessDataToTheOtherDatabase()
    {
        Database other = _store.Databases[3];
        Set("k", "v", expireAt: Now + 9000);
        Slot entry = Db.At(Db.Lookup(K("k"), KeyIndex.Hash(K("k"))));
        entry.Lfu = 200;   // far from a new key's counter (5), so a reset would show
        long used = _store.UsedMemory;
        Assert.Equal(Status.Ok, KeyOps.Move(Db, K("k"), other));
        Assert.Null(Get("k"));
        Assert.Equal(0, Db.Count);
        Assert.Equal(0, Db.Expires);
        Assert.Equal(1, other.Expires);
        Assert.Equal(9000, KeyOps.Ttl(other, K("k"), TtlForm.Milliseconds));
        Assert.True(KeyOps.ObjectFreq(other, K("k"), out int moved));
        Assert.InRange(moved, 200, 201);   // carried over; MOVE's write lookup may count one access, as Redis's does
        Assert.Equal(used, _store.UsedMemory);
        Assert.Equal("v", Get("k", other));
    }

    [Fact]
    public void MoveLeavesBothKeysWhenTheTargetHasOneAndIsNotFoundForAMissingKey()
    {
        Database other = _store.Databases[1];
        Assert.Equal(Status.NotFound, KeyOps.Move(Db, K("k"), other));
        Set("k", "here");
        StringOps.Set(other, K("k"), K("there"));
        Assert.Equal(Status.ConditionNotMet, KeyOps.Move(Db, K("k"), other));
        Assert.Equal("here", Get("k"));
        Assert.Equal("there", Get("k", other));
        Set("gone", "x", expireAt: Now + 10);
        Advance(20);
        Assert.Equal(Status.NotFound, KeyOps.Move(Db, K("gone"), other));
        Assert.Equal(0, other.Expires);
    }

    [Fact]
    public void RenameOfMissingKeyIsNotFoundAndSameNameIsANoOp()
    {
        Assert.Equal(Status.NotFound, KeyOps.Rename(Db, K("x"), K("y"), onlyIfAbsent: false));
        Assert.Equal(Status.NotFound, KeyOps.Rename(Db, K("x"), K("x"), onlyIfAbsent: false));
        Set("a", "1");
        Assert.Equal(Status.Ok, KeyOps.Rename(Db, K("a"), K("a"), onlyIfAbsent: false));
        Assert.Equal(Status.ConditionNotMet, KeyOps.Rename(Db, K("a"), K("a"), onlyIfAbsent: true));
        Assert.Equal("1", Get("a"));
    }

    [Fact]
    public void RenameNxRefusesAnExistingTarget()
    {
        Set("a", "1");
        Set("b", "2");
        Assert.Equal(Status.ConditionNotMet, KeyOps.Rename(Db, K("a"), K("b"), onlyIfAbsent: true));
        Assert.Equal("1", Get("a"));
        Assert.Equal("2", Get("b"));
        Assert.Equal(Status.Ok, KeyOps.Rename(Db, K("a"), K("c"), onlyIfAbsent: true));
        Assert.Equal("1", Get("c"));
    }

    [Fact]
    public void CopyIsDeepAndKeepsTheTtl()
    {
        Set("a", "abc", expireAt: Now + 4000);
        Assert.Equal(Status.Ok, KeyOps.Copy(Db, K("a"), Db, K("b"), replace: false));
        StringOps.Set(Db, K("a"), K("xyz"), keepTtl: true); // same length: written in place
        Assert.Equal("xyz", Get("a"));
        Assert.Equal("abc", Get("b"));
        Assert.Equal(4000, KeyOps.Ttl(Db, K("b"), TtlForm.Milliseconds));
    }

    [Fact]
    public void CopyHonoursReplaceAndTargetDatabase()
    {
        Database other = _store.Databases[3];
        Set("a", "1");
        Set("b", "2");
        Assert.Equal(Status.NotFound, KeyOps.Copy(Db, K("missing"), Db, K("b"), replace: true));
        Assert.Equal(Status.ConditionNotMet, KeyOps.Copy(Db, K("a"), Db, K("b"), replace: false));
        Assert.Equal("2", Get("b"));
        Assert.Equal(Status.Ok, KeyOps.Copy(Db, K("a"), Db, K("b"), replace: true));
        Assert.Equal("1", Get("b"));
        Assert.Equal(Status.Ok, KeyOps.Copy(Db, K("a"), other, K("a"), replace: false));
        Assert.Equal("1", Get("a", other));
        Assert.Equal(-1, KeyOps.Ttl(other, K("a"), TtlForm.Seconds));
    }

    [Fact]
    public void KeysReturnsMatchingLiveKeysAndSkipsExpired()
    {
        Set("user:1", "a");
        Set("user:2", "b");
        Set("order:1", "c");
        Set("user:3", "d", expireAt: Now + 10);
        Advance(10);
        var keys = new List<byte[]>();
        KeyOps.Keys(Db, K("user:*"), keys);
        Assert.Equal(["user:1", "user:2"], Strings(keys));
        keys.Clear();
        KeyOps.Keys(Db, K("*"), keys);
        Assert.Equal(["order:1", "user:1", "user:2"], Strings(keys));
    }

    [Fact]
    public void ScanReturnsEveryKeyPresentForTheWholeIterationDespiteChurnAndGrowth()
    {
        var stable = new HashSet<string>();
        for (int i = 0; i < 300; i++) { Set($"stable:{i}", "v"); stable.Add($"stable:{i}"); }
        for (int i = 0; i < 200; i++) Set($"churn:{i}", "v"); // 500 keys: the index is at 512 slots

        var seen = new HashSet<string>();
        var page = new List<byte[]>();
        ulong cursor = 0;
        int calls = 0, added = 0;
        do
        {
            page.Clear();
            cursor = KeyOps.Scan(Db, cursor, 7, default, false, ValueKind.None, page);
            foreach (byte[] k in page) seen.Add(Encoding.UTF8.GetString(k));
            // Between calls: delete churn keys, and early on add new ones (forcing the index to grow to 1024).
            if (calls < 200) KeyOps.Delete(Db, K($"churn:{calls}"));
            if (calls < 10) for (int j = 0; j < 20; j++) Set($"new:{added++}", "v");
            calls++;
        }
        while (cursor != 0 && calls < 10_000);

        Assert.True(calls < 10_000, "the iteration must end");
        Assert.Subset(seen, stable);
        Assert.True(calls > 10, "COUNT 7 should need many calls");
    }

    [Fact]
    public void ScanFiltersByPatternAndType()
    {
        Set("s:1", "v");
        Set("s:2", "v");
        Db.Add(K("l:1"), Hot.KeyIndex.Hash(K("l:1")), ValueKind.List, new object(), 0);
        var all = new List<byte[]>();
        var page = new List<byte[]>();
        ulong cursor = 0;
        do
        {
            page.Clear();
            cursor = KeyOps.Scan(Db, cursor, 100, K("*:1"), false, ValueKind.None, page);
            all.AddRange(page);
        }
        while (cursor != 0);
        Assert.Equal(["l:1", "s:1"], Strings(all));

        page.Clear();
        Assert.Equal(0UL, KeyOps.Scan(Db, 0, 100, default, true, ValueKind.List, page));
        Assert.Equal(["l:1"], Strings(page));

        page.Clear();
        Assert.True(KeyOps.TryParseTypeName(K("STRING"), out ValueKind kind));
        KeyOps.Scan(Db, 0, 100, default, true, kind, page);
        Assert.Equal(["s:1", "s:2"], Strings(page));

        Assert.False(KeyOps.TryParseTypeName(K("nosuchtype"), out kind));
        page.Clear();
        KeyOps.Scan(Db, 0, 100, default, true, kind, page);
        Assert.Empty(page);
    }

    [Fact]
    public void ScanCursorBeyondTheIndexEndsTheIteration()
    {
        Set("a", "1");
        var page = new List<byte[]>();
        Assert.Equal(0UL, KeyOps.Scan(Db, 1_000_000, 10, default, false, ValueKind.None, page));
        Assert.Empty(page);
    }

    [Fact]
    public void RandomKeyIsNullWhenEmptyAndFindsTheLastKeyOfASparseIndex()
    {
        Assert.Null(KeyOps.RandomKey(Db));
        for (int i = 0; i < 1000; i++) Set($"k{i}", "v");
        for (int i = 0; i < 999; i++) KeyOps.Delete(Db, K($"k{i}"));
        Assert.Equal("k999", Encoding.UTF8.GetString(KeyOps.RandomKey(Db)!));
    }

    [Fact]
    public void RandomKeyDeletesExpiredKeysItMeets()
    {
        Set("gone", "v", expireAt: Now + 5);
        Advance(5);
        Assert.Null(KeyOps.RandomKey(Db));
        Assert.Equal(0, Db.Count);
    }

    [Fact]
    public void SwapDbExchangesContentsAndRejectsBadIndexes()
    {
        Set("a", "1");
        Assert.False(KeyOps.SwapDb(_store, 0, 16));
        Assert.False(KeyOps.SwapDb(_store, -1, 0));
        Database before = Db;
        Assert.True(KeyOps.SwapDb(_store, 0, 5));
        Assert.Same(before, _store.Databases[5]);
        Assert.Equal(5, _store.Databases[5].Id);
        Assert.Null(Get("a"));
        Assert.Equal("1", Get("a", _store.Databases[5]));
    }

    [Fact]
    public void FlushDropsKeysOfOneOrAllDatabases()
    {
        Set("a", "1");
        StringOps.Set(_store.Databases[1], K("b"), K("2"));
        KeyOps.Flush(Db);
        Assert.Equal(0, KeyOps.Size(Db));
        Assert.Equal(1, KeyOps.Size(_store.Databases[1]));
        KeyOps.FlushAll(_store);
        Assert.Equal(0, _store.TotalKeys());
        Assert.Equal(0, _store.UsedMemory);
    }

    [Theory]
    [InlineData("0", "int")]
    [InlineData("12345", "int")]
    [InlineData("-9223372036854775808", "int")]
    [InlineData("9223372036854775807", "int")]
    [InlineData("9223372036854775808", "embstr")]
    [InlineData("01", "embstr")]
    [InlineData("-0", "embstr")]
    [InlineData("+1", "embstr")]
    [InlineData(" 1", "embstr")]
    [InlineData("hello", "embstr")]
    [InlineData("", "embstr")]
    [InlineData("12345678901234567890123456789012345678901234", "embstr")]
    [InlineData("123456789012345678901234567890123456789012345", "raw")]
    public void StringEncodingFollowsRedis(string value, string expected)
        => Assert.Equal(expected, KeyOps.StringEncoding(K(value)));

    [Fact]
    public void ObjectSubcommandsReportMissingKeys()
    {
        Assert.False(KeyOps.ObjectEncoding(Db, K("x"), out _));
        Assert.False(KeyOps.ObjectFreq(Db, K("x"), out _));
        Assert.False(KeyOps.ObjectIdleTime(Db, K("x"), out _));
        Assert.False(KeyOps.ObjectRefCount(Db, K("x"), out _));
        Set("x", "1");
        Assert.True(KeyOps.ObjectEncoding(Db, K("x"), out string enc));
        Assert.Equal("int", enc);
        Assert.True(KeyOps.ObjectRefCount(Db, K("x"), out int rc));
        Assert.Equal(1, rc);
    }

    [Fact]
    public void ObjectFreqStartsAtTheInitialValueAndDecaysPerMinute()
    {
        Set("a", "1");
        Assert.True(KeyOps.ObjectFreq(Db, K("a"), out int freq));
        Assert.Equal(Hot.Lfu.InitialValue, freq);
        Advance(3 * 60_000 + 1000); // lfu-decay-time 1: three minutes, three steps
        Assert.True(KeyOps.ObjectFreq(Db, K("a"), out freq));
        Assert.Equal(Hot.Lfu.InitialValue - 3, freq);
    }

    [Fact]
    public void ActiveExpiryStepReclaimsKeysNobodyReads()
    {
        for (int i = 0; i < 100; i++) Set($"t{i}", "v", expireAt: Now + 50);
        for (int i = 0; i < 100; i++) Set($"p{i}", "v");
        Advance(50);
        int deleted = _store.ActiveExpireCycle(1000);
        Assert.Equal(100, deleted);
        Assert.Equal(100, Db.Count);
        Assert.Equal(0, Db.Expires);
    }

    [Fact]
    public void ActiveExpiryInSmallStepsReclaimsEveryExpiredKeyAndKeepsTheRest()
    {
        for (int i = 0; i < 300; i++) Set($"k{i}", "v", expireAt: i % 3 == 0 ? Now + 10 : Now + 60_000);
        for (int i = 0; i < 5_000; i++) Set($"plain{i}", "v");
        Advance(10);
        int deleted = 0;
        // 7 keys with a TTL examined per step: 43 steps make 301 examinations, one pass over the 300 (a deleted key's
        // place is taken by another key with a TTL, examined next, so a pass costs one examination per key).
        for (int step = 0; step < 43; step++) deleted += _store.ActiveExpireCycle(7);
        Assert.Equal(100, deleted);
        Assert.Equal(200, Db.Expires);
        Assert.Equal(5_200, Db.Count);
        for (int i = 0; i < 300; i++)
            Assert.Equal(i % 3 == 0 ? -2 : 60, KeyOps.Ttl(Db, K($"k{i}"), TtlForm.Seconds));
    }
}
