using System.Collections;

namespace Tiered.Server.Admin;

/// <summary>
/// Reads settings the way Redis does, plus environment variables. Later sources override earlier ones:
///   1. a config file in redis.conf syntax, given as the first argument (<c>tiered-server /etc/tiered.conf --port 7000</c>);
///   2. environment variables <c>TIERED_&lt;NAME&gt;</c> with dashes as underscores (<c>TIERED_MAXMEMORY=64mb</c>);
///   3. command-line options <c>--name value...</c> (every word up to the next <c>--</c> option is the value).
/// </summary>
public static class ConfigLoader
{
    /// <summary>Applies all sources to <paramref name="registry"/>; returns the errors (empty when all is well).</summary>
    public static List<string> Load(string[] args, IDictionary environment, ConfigRegistry registry)
    {
        var errors = new List<string>();
        int i = 0;
        if (args.Length > 0 && !args[0].StartsWith("--", StringComparison.Ordinal))
        {
            string path = args[0];
            i = 1;
            if (!File.Exists(path)) errors.Add($"Fatal error, can't open config file '{path}'");
            else LoadText(File.ReadAllText(path), registry, errors, path);
        }

        foreach (DictionaryEntry kv in environment)
        {
            string key = (string)kv.Key;
            if (!key.StartsWith("TIERED_", StringComparison.Ordinal)) continue;
            string name = key["TIERED_".Length..].ToLowerInvariant().Replace('_', '-');
            if (registry.Find(name) is null) continue;   // other TIERED_ variables are not ours to reject
            string? err = registry.Apply(name, (string?)kv.Value ?? "");
            if (err != null) errors.Add($"environment {key}: {err}");
        }

        while (i < args.Length)
        {
            string a = args[i];
            if (!a.StartsWith("--", StringComparison.Ordinal) || a.Length == 2)
            {
                errors.Add($"Unexpected argument '{a}': options look like --name value");
                i++;
                continue;
            }
            string name = a[2..];
            var words = new List<string>();
            i++;
            while (i < args.Length && !(args[i].StartsWith("--", StringComparison.Ordinal) && args[i].Length > 2))
                words.Add(args[i++]);
            string? err = registry.Apply(name, string.Join(' ', words));
            if (err != null) errors.Add($"--{name}: {err}");
        }
        return errors;
    }

    /// <summary>Applies redis.conf-style text: one "name value..." per line, # comments, quoted values.</summary>
    public static void LoadText(string text, ConfigRegistry registry, List<string> errors, string source = "config")
    {
        int lineNo = 0;
        foreach (string raw in text.Split('\n'))
        {
            lineNo++;
            string line = raw.Trim();
            if (line.Length == 0 || line[0] == '#') continue;
            List<string>? words = SplitWords(line);
            if (words is null || words.Count == 0)
            {
                errors.Add($"{source}:{lineNo}: unbalanced quotes");
                continue;
            }
            string? err = registry.Apply(words[0], string.Join(' ', words.Skip(1)));
            if (err != null) errors.Add($"{source}:{lineNo}: '{line}': {err}");
        }
    }

    private static List<string>? SplitWords(string line)
    {
        var words = new List<string>();
        var sb = new StringBuilder();
        int p = 0;
        while (p < line.Length)
        {
            while (p < line.Length && char.IsWhiteSpace(line[p])) p++;
            if (p >= line.Length) break;
            sb.Clear();
            if (line[p] is '"' or '\'')
            {
                char q = line[p++];
                while (p < line.Length && line[p] != q)
                {
                    if (line[p] == '\\' && p + 1 < line.Length) p++;
                    sb.Append(line[p++]);
                }
                if (p >= line.Length) return null;
                p++;
            }
            else
            {
                while (p < line.Length && !char.IsWhiteSpace(line[p])) sb.Append(line[p++]);
            }
            words.Add(sb.ToString());
        }
        return words;
    }
}
