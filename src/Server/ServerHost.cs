using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tiered.Server.Admin;

namespace Tiered.Server;

/// <summary>Runs the <see cref="TieredServer"/> inside the generic host (start, SIGTERM/SIGINT, SHUTDOWN).</summary>
public sealed class ServerHost : IHostedService
{
    private readonly ServerOptions _options;
    private readonly EngineOptions _engine;
    private readonly ILogger<ServerHost> _logger;
    private readonly IHostApplicationLifetime _lifetime;
    private TieredServer? _server;

    public ServerHost(ServerOptions options, EngineOptions engine, ILogger<ServerHost> logger, IHostApplicationLifetime lifetime)
    {
        _options = options;
        _engine = engine;
        _logger = logger;
        _lifetime = lifetime;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _logger.LogInformation("Tiered {Version} (Redis {Redis} compatible) starting, pid {Pid}",
            ServerInfo.TieredVersion, ServerInfo.RedisVersion, Environment.ProcessId);
        _server = new TieredServer(_options, _engine, _logger, _lifetime.StopApplication);
        _server.Start();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _logger.LogInformation("Shutting down");
        if (_server != null) await _server.DisposeAsync().ConfigureAwait(false);
        _logger.LogInformation("Tiered is now ready to exit, bye bye...");
    }
}
