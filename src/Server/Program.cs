using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tiered.Server;
using Tiered.Server.Admin;

var serverOptions = new ServerOptions();
var engineOptions = new EngineOptions();
var errors = ConfigLoader.Load(args, Environment.GetEnvironmentVariables(), new ConfigRegistry(serverOptions, engineOptions));
if (args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal)) serverOptions.ConfigFile = Path.GetFullPath(args[0]);
if (errors.Count > 0)
{
    Console.Error.WriteLine("*** FATAL CONFIG ERROR ***");
    foreach (string e in errors) Console.Error.WriteLine(e);
    return 1;
}

// The socket layer reads these when the first socket is created, so they are set before: continuations of socket
// operations run on the epoll thread instead of hopping to the thread pool (one dispatch less per request), and
// there are io-threads epoll threads. Variables already set in the environment win.
if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is null)
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT") is null)
    Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_THREAD_COUNT",
        serverOptions.IoThreads.ToString(System.Globalization.CultureInfo.InvariantCulture));

// The write log lives with the SSD tier, else in --dir, else ./data (the engine alone logs only where it is told).
if (engineOptions.Durability.AppendOnly && engineOptions.Durability.Dir.Length == 0)
    engineOptions.Durability.Dir = Path.GetFullPath(engineOptions.SsdPath ?? "./data");

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [] });
builder.Logging.ClearProviders();
builder.Logging.AddSimpleConsole(o =>
{
    o.SingleLine = true;
    o.TimestampFormat = "dd MMM yyyy HH:mm:ss.fff ";
});
builder.Logging.SetMinimumLevel(serverOptions.LogLevel switch
{
    "debug" => LogLevel.Debug,
    "verbose" => LogLevel.Debug,
    "warning" => LogLevel.Warning,
    _ => LogLevel.Information,
});
builder.Services.AddSingleton(serverOptions);
builder.Services.AddSingleton(engineOptions);
builder.Services.AddHostedService<ServerHost>();
builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
using IHost host = builder.Build();
await host.RunAsync();
return 0;
