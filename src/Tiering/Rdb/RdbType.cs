namespace Tiered.Tiering.Rdb;

/// <summary>
/// The object type byte that opens every RDB value (Redis's RDB_TYPE_*). The numbers are Redis's format: never
/// renumber. Redis 7.0 (RDB version 10) writes STRING, SET, ZSET_2, HASH, MODULE_2, SET_INTSET, HASH_LISTPACK,
/// ZSET_LISTPACK, LIST_QUICKLIST_2 and STREAM_LISTPACKS_2; the others are older forms it still loads, and SET_LISTPACK
/// and STREAM_LISTPACKS_3 come from Redis 7.2 (RDB version 11).
/// </summary>
public enum RdbType : byte
{
    String = 0,
    List = 1,
    Set = 2,
    ZSet = 3,
    Hash = 4,
    ZSet2 = 5,
    Module = 6,
    Module2 = 7,
    HashZipmap = 9,
    ListZiplist = 10,
    SetIntset = 11,
    ZSetZiplist = 12,
    HashZiplist = 13,
    ListQuicklist = 14,
    StreamListpacks = 15,
    HashListpack = 16,
    ZSetListpack = 17,
    ListQuicklist2 = 18,
    StreamListpacks2 = 19,
    SetListpack = 20,
    StreamListpacks3 = 21,
}
