namespace Tiered.Server.Admin;

/// <summary>Version strings the server reports.</summary>
public static class ServerInfo
{
    /// <summary>The Redis version we are compatible with; client libraries switch features on it.</summary>
    public const string RedisVersion = "7.0.15";

    /// <summary>The same as one number, 0x00MMmmpp (redis.REDIS_VERSION_NUM).</summary>
    public const int RedisVersionNumber = 0x07000F;

    /// <summary>Tiered's own version (INFO tiered_version).</summary>
    public static readonly string TieredVersion =
        typeof(ServerInfo).Assembly.GetName().Version?.ToString(3) ?? "0.0.0";
}
