namespace Tiered.Server.Tests.Infrastructure;

/// <summary>
/// Base for test classes that run against one in-process <see cref="TestServer"/> per test (xUnit creates a new
/// instance per test). Override <see cref="CreateServer"/> to start the server with options or extra commands.
/// </summary>
public abstract class ServerTestBase : IAsyncLifetime
{
    protected TestServer Server { get; private set; } = null!;

    /// <summary>Creates the server for one test; the default has default options.</summary>
    protected virtual TestServer CreateServer() => new();

    public Task InitializeAsync()
    {
        Server = CreateServer();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await Server.DisposeAsync();

    /// <summary>Waits (bounded, 5 s) until <paramref name="n"/> clients are blocked; reads the count under the store lock.</summary>
    protected async Task WaitBlocked(int n)
    {
        for (int i = 0; i < 500; i++)
        {
            lock (Server.Server.Store.Lock)
                if (Server.Server.Blocking.BlockedClients == n) return;
            await Task.Delay(10);
        }
        Assert.Fail($"expected {n} blocked clients, have {Server.Server.Blocking.BlockedClients}");
    }
}
