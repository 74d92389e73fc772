using System.Text.RegularExpressions;

namespace Tiered.Tiering.Tests;

/// <summary>
/// The folders of src/ point one way, and docs/architecture.md says which way. Folder A uses folder B when A's code
/// names a type that B declares (a word match with comments and string literals removed, as
/// ../shared/tools/folder-cycles.py counts): no two folders may use each other, directly or around a loop, and the
/// dependency list in the architecture document must be exactly what the code does.
/// </summary>
public sealed partial class ArchitectureTests
{
    private static readonly string[] Projects = ["Compression", "Tiering", "Server"];

    [Fact]
    public void NoTwoFoldersOfAProjectUseEachOther()
    {
        foreach (string project in Projects)
        {
            Dictionary<string, SortedDictionary<string, SortedSet<string>>> edges = FolderEdges(project);
            List<List<string>> cycles = Cycles(edges);
            Assert.True(cycles.Count == 0, $"src/{project}: folders that use each other: " + string.Join("; ", cycles.Select(c => Describe(c, edges))));
        }
    }

    [Fact]
    public void NoTwoFoldersOfSrcUseEachOtherAcrossProjects()
    {
        // Across projects a type name may be declared in one project and used as a member name in another (a private
        // enum Kind in the server against every Kind property of the engine): the whole tree is checked as one.
        Dictionary<string, SortedDictionary<string, SortedSet<string>>> edges = FolderEdges("");
        List<List<string>> cycles = Cycles(edges);
        Assert.True(cycles.Count == 0, "src: folders that use each other: " + string.Join("; ", cycles.Select(c => Describe(c, edges))));
    }

    [Fact]
    public void TheArchitectureDocumentListsEachFoldersDependenciesAsTheCodeHasThem()
    {
        string doc = File.ReadAllText(Path.Combine(RepoRoot(), "docs", "architecture.md"));
        var documented = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (Match m in DependencyLine().Matches(doc)) documented[m.Groups[1].Value] = Normalize(m.Groups[2].Value);
        var actual = new SortedDictionary<string, string>(StringComparer.Ordinal);
        foreach (string project in Projects)
            foreach ((string folder, SortedDictionary<string, SortedSet<string>> uses) in FolderEdges(project))
                actual[Name(project, folder)] = uses.Count == 0 ? "(none)" : string.Join(", ", uses.Keys.Select(u => Name(project, u)));
        Assert.Equal(string.Join("\n", actual.Select(kv => $"{kv.Key} -> {kv.Value}")), string.Join("\n", documented.Select(kv => $"{kv.Key} -> {kv.Value}")));
    }

    [Fact]
    public void TheCycleCheckSeesALoopBetweenTwoFolders()
    {
        var edges = new Dictionary<string, SortedDictionary<string, SortedSet<string>>>
        {
            ["A"] = new() { ["B"] = ["TypeOfB"] },
            ["B"] = new() { ["C"] = ["TypeOfC"] },
            ["C"] = new() { ["A"] = ["TypeOfA"] },
            ["D"] = new() { ["A"] = ["TypeOfA"] },
        };
        List<List<string>> cycles = Cycles(edges);
        Assert.Single(cycles);
        Assert.Equal(["A", "B", "C"], cycles[0]);
    }

    private static string Name(string project, string folder) => folder == "." ? project : $"{project}/{folder}";

    private static string Normalize(string list)
        => string.Join(", ", list.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));

    private static string Describe(List<string> cycle, Dictionary<string, SortedDictionary<string, SortedSet<string>>> edges)
        => string.Join(" | ", from a in cycle from b in cycle
                              where a != b && edges.TryGetValue(a, out var e) && e.ContainsKey(b)
                              select $"{a}->{b} ({string.Join(", ", edges[a][b].Take(4))})");

    /// <summary>For each folder of src/<paramref name="project"/>: the folders whose types it names, and which names.</summary>
    private static Dictionary<string, SortedDictionary<string, SortedSet<string>>> FolderEdges(string project)
    {
        string root = Path.Combine(RepoRoot(), "src", project);
        var files = new Dictionary<string, string>();
        foreach (string path in Directory.EnumerateFiles(root, "*.cs", SearchOption.AllDirectories))
        {
            string rel = Path.GetRelativePath(root, path).Replace('\\', '/');
            if (Array.Exists(rel.Split('/'), s => s is "bin" or "obj")) continue;
            files[rel] = File.ReadAllText(path);
        }
        static string FolderOf(string rel) => rel.Contains('/') ? rel[..rel.LastIndexOf('/')] : ".";
        var declaredIn = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach ((string rel, string text) in files)
            foreach (Match m in Declaration().Matches(LineComment().Replace(text, "")))
            {
                if (!declaredIn.TryGetValue(m.Groups[1].Value, out HashSet<string>? set)) declaredIn[m.Groups[1].Value] = set = [];
                set.Add(FolderOf(rel));
            }
        var owner = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach ((string name, HashSet<string> folders) in declaredIn)
            if (folders.Count == 1 && name.Length > 3) owner[name] = folders.First();
        var edges = new Dictionary<string, SortedDictionary<string, SortedSet<string>>>(StringComparer.Ordinal);
        foreach ((string rel, string text) in files)
        {
            string a = FolderOf(rel);
            if (!edges.TryGetValue(a, out SortedDictionary<string, SortedSet<string>>? uses)) edges[a] = uses = new(StringComparer.Ordinal);
            string body = CommentOrString().Replace(text, "");
            foreach (Match w in Word().Matches(body))
                if (owner.TryGetValue(w.Value, out string? b) && b != a)
                {
                    if (!uses.TryGetValue(b, out SortedSet<string>? names)) uses[b] = names = new(StringComparer.Ordinal);
                    names.Add(w.Value);
                }
        }
        return edges;
    }

    /// <summary>The strongly connected sets of more than one folder (Tarjan), each sorted.</summary>
    private static List<List<string>> Cycles(Dictionary<string, SortedDictionary<string, SortedSet<string>>> edges)
    {
        var index = new Dictionary<string, int>();
        var low = new Dictionary<string, int>();
        var stack = new Stack<string>();
        var onStack = new HashSet<string>();
        var result = new List<List<string>>();
        int next = 0;
        void Visit(string v)
        {
            index[v] = low[v] = next++;
            stack.Push(v);
            onStack.Add(v);
            if (edges.TryGetValue(v, out var uses))
                foreach (string w in uses.Keys)
                {
                    if (!index.ContainsKey(w)) { Visit(w); low[v] = Math.Min(low[v], low[w]); }
                    else if (onStack.Contains(w)) low[v] = Math.Min(low[v], index[w]);
                }
            if (low[v] != index[v]) return;
            var set = new List<string>();
            string x;
            do { x = stack.Pop(); onStack.Remove(x); set.Add(x); } while (x != v);
            if (set.Count > 1) result.Add(set.Order(StringComparer.Ordinal).ToList());
        }
        foreach (string v in edges.Keys.Order(StringComparer.Ordinal))
            if (!index.ContainsKey(v)) Visit(v);
        return result;
    }

    private static string RepoRoot()
    {
        for (DirectoryInfo? d = new(AppContext.BaseDirectory); d != null; d = d.Parent)
            if (File.Exists(Path.Combine(d.FullName, "Tiered.sln"))) return d.FullName;
        throw new InvalidOperationException("Tiered.sln not found above " + AppContext.BaseDirectory);
    }

    [GeneratedRegex(@"\b(?:class|struct|record|enum|interface)\s+([A-Z]\w+)")]
    private static partial Regex Declaration();

    [GeneratedRegex(@"//.*")]
    private static partial Regex LineComment();

    [GeneratedRegex(@"//.*|""(?:\\.|[^""\\])*""")]
    private static partial Regex CommentOrString();

    [GeneratedRegex(@"\b[A-Z]\w*\b")]
    private static partial Regex Word();

    [GeneratedRegex(@"^ {4}([A-Za-z/]+) +-> +(.+)$", RegexOptions.Multiline)]
    private static partial Regex DependencyLine();
}
