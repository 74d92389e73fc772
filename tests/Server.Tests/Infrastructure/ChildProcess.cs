using System.Diagnostics;
using System.Text;

namespace Tiered.Server.Tests.Infrastructure;

/// <summary>A child process whose output is collected; Dispose kills its whole tree if it is still running.</summary>
public sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    public ChildProcess(string file, string[] args, string workingDirectory)
    {
        var psi = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (string a in args) psi.ArgumentList.Add(a);
        _process = new Process { StartInfo = psi };
        _process.OutputDataReceived += (_, e) => { if (e.Data != null) lock (_output) _output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { if (e.Data != null) lock (_output) _output.AppendLine(e.Data); };
        _process.Start();
        _process.StandardInput.Close();   // redis-cli reads stdin when it is not a terminal; give it EOF
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Output { get { lock (_output) return _output.ToString(); } }

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public async Task WaitForExitAsync(CancellationToken token) => await _process.WaitForExitAsync(token);

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException) { }
        _process.Dispose();
    }


    /// <summary>kill -9 (.NET's Kill sends SIGKILL): the process dies at once, without shutting down.</summary>
    public void KillHard()
    {
        if (!_process.HasExited) _process.Kill();
        _process.WaitForExit(10_000);
    }
}
