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

    /// <summary>Waits (bounded, 5 s) until <paramref name="n"/> clients are blocked (<see cref="TestServer.WaitBlocked"/>).</summary>
    protected Task WaitBlocked(int n) => Server.WaitBlocked(n);
}
