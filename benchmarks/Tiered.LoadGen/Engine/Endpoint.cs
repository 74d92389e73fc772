namespace Tiered.LoadGen.Engine;

/// <summary>Where to send load: any Redis-compatible server.</summary>
public sealed record Endpoint(string Host, int Port)
{
    public override string ToString() => Host.Contains(':') ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
