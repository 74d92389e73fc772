using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Tiered.LoadGen.Results;

/// <summary>Renders a <see cref="RunResult"/> as a console table, a JSON document or a CSV summary (one row per op).</summary>
public static class ResultWriter
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string ToJson(RunResult r) => JsonSerializer.Serialize(r, JsonOptions);

    public static readonly string CsvHeader =
        "target,mode,clients,pipeline,dist,reads,value_size,op,count,misses,errors,seconds,ops_per_sec,mean_us,p50_us,p90_us,p99_us,p999_us,max_us";

    public static string ToCsv(RunResult r)
    {
        var sb = new StringBuilder();
        sb.Append(CsvHeader).Append('\n');
        Workload w = r.Workload;
        foreach ((string op, OpStats s) in r.Operations)
        {
            long errors = op == "ALL" ? r.ErrorReplies : 0;
            sb.Append(string.Create(Inv,
                $"{r.Target},{w.Mode},{w.Clients},{w.Pipeline},{w.Dist},{w.Reads},{w.ValueBytes},{op},{s.Count},{s.Misses},{errors},{r.MeasuredSeconds:F3},{s.OpsPerSecond:F1},{s.MeanUs:F1},{s.P50Us:F1},{s.P90Us:F1},{s.P99Us:F1},{s.P999Us:F1},{s.MaxUs:F1}"))
              .Append('\n');
        }
        return sb.ToString();
    }

    public static string ToTable(RunResult r)
    {
        var sb = new StringBuilder();
        Workload w = r.Workload;
        string pace = w.Rate is { } rate ? string.Create(Inv, $"open loop at {rate:N0} ops/s") : "closed loop";
        sb.Append(string.Create(Inv,
            $"target {r.Target}  {pace}  clients {w.Clients}  pipeline {w.Pipeline}  keys {w.Keys:N0} ({w.Dist})  reads {w.Reads:P0}  value {w.ValueBytes} B\n"));
        if (r.LoadPhase is { } lp)
            sb.Append(string.Create(Inv, $"load     {lp.Keys:N0} keys in {lp.Seconds:F2} s ({lp.OpsPerSecond:N0} ops/s), {lp.ErrorReplies} errors\n"));
        sb.Append(string.Create(Inv,
            $"measured {r.MeasuredSeconds:F2} s  requests {r.Requests:N0}  replies {r.Replies:N0}  errors {r.ErrorReplies:N0}  throughput {r.OpsPerSecond:N0} ops/s\n\n"));
        sb.Append(string.Create(Inv, $"{"op",-4} {"count",12} {"ops/s",11} {"mean",9} {"p50",9} {"p90",9} {"p99",9} {"p99.9",9} {"max",10}  (latency in µs)\n"));
        foreach ((string op, OpStats s) in r.Operations)
        {
            if (s.Count == 0 && op != "ALL")
                continue;
            sb.Append(string.Create(Inv,
                $"{op,-4} {s.Count,12:N0} {s.OpsPerSecond,11:N0} {s.MeanUs,9:F1} {s.P50Us,9:F1} {s.P90Us,9:F1} {s.P99Us,9:F1} {s.P999Us,9:F1} {s.MaxUs,10:F1}\n"));
        }
        if (r.Operations.TryGetValue("GET", out OpStats? get) && get.Count > 0)
            sb.Append(string.Create(Inv, $"GET misses (nil replies): {get.Misses:N0} ({(double)get.Misses / get.Count:P1})\n"));
        if (r.Errors.Count > 0)
            sb.Append("errors by prefix: ").AppendJoin(", ", r.Errors.OrderByDescending(e => e.Value).Select(e => string.Create(Inv, $"{e.Key} {e.Value:N0}"))).Append('\n');
        if (r.ConnectionFailures > 0)
            sb.Append(string.Create(Inv, $"connection failures: {r.ConnectionFailures} ({string.Join("; ", r.ConnectionFailureMessages)})\n"));
        if (r.Requests != r.Replies)
            sb.Append(string.Create(Inv, $"WARNING: {r.Requests - r.Replies:N0} requests got no reply\n"));
        if (r.PerSecond.Count > 0)
        {
            sb.Append(string.Create(Inv, $"per second: min {r.PerSecond.Min():N0}  max {r.PerSecond.Max():N0}  ["));
            sb.AppendJoin(' ', r.PerSecond.Take(60).Select(v => v.ToString(Inv)));
            sb.Append(r.PerSecond.Count > 60 ? " ...]\n" : "]\n");
        }
        if (r.ServerDelta.Count > 0)
        {
            sb.Append("server INFO delta: ")
              .AppendJoin("  ", r.ServerDelta.Select(kv => string.Create(Inv, $"{kv.Key} {kv.Value:+#,0;-#,0;0}")))
              .Append('\n');
        }
        if (r.HotHitRatio is { } ratio)
            sb.Append(string.Create(Inv, $"hot hit ratio: {ratio:P2}\n"));
        return sb.ToString();
    }
}
