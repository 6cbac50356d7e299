using System.Reflection;
using System.Text.RegularExpressions;
using FluentAssertions;

namespace Bbn.Framework.Tests;

/// <summary>
/// Rules of the code base that a reviewer would otherwise have to remember: one EventId per log message, namespaces that
/// follow the folders, documentation that names files which exist, measurements in docs/ rather than in code.
/// </summary>
public sealed partial class RepositoryHygieneTests
{
    private static readonly string Repo = typeof(RepositoryHygieneTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "RepoRoot").Value!;
    private static readonly string[] ProductFolders = ["src", "plugins", "hosts"];

    private static IEnumerable<string> Sources(params string[] folders) =>
        folders.SelectMany(f => Directory.EnumerateFiles(Path.Combine(Repo, f), "*.cs", SearchOption.AllDirectories))
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}") && !p.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}"));

    private static string Relative(string path) => Path.GetRelativePath(Repo, path);

    [Fact]
    public void Every_log_message_of_the_product_has_an_event_id_of_its_own()
    {
        var ids = Sources(ProductFolders)
            .SelectMany(path => LoggerMessageId().Matches(File.ReadAllText(path)).Select(m => (Id: int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), File: Relative(path))))
            .ToList();
        ids.Should().NotBeEmpty("the hosts log through [LoggerMessage]");
        var repeated = ids.GroupBy(i => i.Id).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(i => i.File))}").ToList();
        repeated.Should().BeEmpty("a log filter or alert keyed on an EventId must find one message");
    }

    [Theory]
    [InlineData("src/Bbn.Core", "Bbn.Core")]
    [InlineData("src/Bbn.Hosting", "Bbn.Hosting")]
    public void The_folders_of_a_project_depend_on_each_other_without_a_cycle(string project, string rootNamespace)
    {
        string root = Path.Combine(Repo, project);
        var folders = Directory.GetDirectories(root).Select(Path.GetFileName).Where(f => f is not ("bin" or "obj")).ToHashSet()!;
        var uses = folders.ToDictionary(f => f!, _ => new HashSet<string>());
        var reference = new Regex($@"\b{Regex.Escape(rootNamespace)}\.(\w+)");
        foreach (string folder in folders!)
            foreach (string path in Sources(Path.Combine(project, folder!)))
                foreach (Match m in reference.Matches(File.ReadAllText(path)))
                    if (m.Groups[1].Value != folder && folders.Contains(m.Groups[1].Value)) uses[folder!].Add(m.Groups[1].Value);

        // A folder that reaches itself through the others is in a cycle.
        bool Reaches(string from, string to, HashSet<string> seen) => uses[from].Any(next => next == to || (seen.Add(next) && Reaches(next, to, seen)));
        var cyclic = uses.Keys.Where(f => Reaches(f, f, [])).Select(f => $"{f} -> {string.Join(", ", uses[f].Where(n => Reaches(n, f, [])))}").ToList();

        uses.Values.Should().Contain(u => u.Count > 0, "the check sees the folders' references");
        cyclic.Should().BeEmpty($"the folders of {project} form layers (a cycle means two folders are one concept, or a type sits in the wrong one)");
    }

    [Fact]
    public void Namespaces_follow_the_folders()
    {
        var wrong = new List<string>();
        foreach (string path in Sources(ProductFolders))
        {
            var match = FileScopedNamespace().Match(File.ReadAllText(path));
            if (!match.Success) continue; // top-level statements
            string project = Relative(path).Split(Path.DirectorySeparatorChar)[1];
            string folder = Path.GetDirectoryName(Relative(path))!.Split(Path.DirectorySeparatorChar).Skip(2).Aggregate(project, (ns, part) => ns + "." + part);
            if (match.Groups[1].Value != folder) wrong.Add($"{Relative(path)}: namespace {match.Groups[1].Value}, folder {folder}");
        }
        wrong.Should().BeEmpty();
    }

    [Fact]
    public void The_documentation_names_only_files_that_exist()
    {
        var documents = new[] { Path.Combine(Repo, "README.md") }
            .Concat(Directory.EnumerateFiles(Path.Combine(Repo, "docs"), "*.md", SearchOption.AllDirectories))
            .Where(p => !p.Contains($"{Path.DirectorySeparatorChar}results{Path.DirectorySeparatorChar}")) // dated records of their day
            .ToList();
        var missing = new List<string>();
        foreach (string document in documents)
            foreach (Match m in QuotedRepositoryPath().Matches(File.ReadAllText(document)))
            {
                string named = m.Groups[1].Value.TrimEnd('/', '.', ',', ':');
                if (named.IndexOfAny(['<', '>', '*', '{', '}', '$', '…']) >= 0) continue; // a pattern, not a file
                if (named.Contains("/bin/", StringComparison.Ordinal) || named.Contains("/obj/", StringComparison.Ordinal)) continue; // a build's output
                if (!File.Exists(Path.Combine(Repo, named)) && !Directory.Exists(Path.Combine(Repo, named))) missing.Add($"{Relative(document)}: {named}");
            }
        // A bare source file's name (`Checkpoint.cs`, `TrainingSession.Step`'s file) must name a file somewhere in the repository.
        var fileNames = Sources(ProductFolders).Concat(Sources("tests", "bench", "build")).Select(Path.GetFileName)
            .Concat(Directory.EnumerateFiles(Repo, "*.*", SearchOption.TopDirectoryOnly).Select(Path.GetFileName))
            .Concat(Directory.EnumerateFiles(Path.Combine(Repo, "build")).Select(Path.GetFileName))
            .ToHashSet();
        foreach (string document in documents)
            foreach (Match m in QuotedFileName().Matches(File.ReadAllText(document)))
                if (!fileNames.Contains(m.Groups[1].Value)) missing.Add($"{Relative(document)}: {m.Groups[1].Value}");
        missing.Should().BeEmpty("documentation that names a deleted file sends the reader nowhere");
    }

    [Fact]
    public void Code_comments_carry_no_dated_measurements()
    {
        var dated = Sources([.. ProductFolders, "tests"])
            .Where(p => !Relative(p).StartsWith(Path.Combine("tests", "Bbn.Framework.Tests", "Repository"), StringComparison.Ordinal))
            .SelectMany(path => File.ReadLines(path).Select((line, i) => (line, i, path)))
            .Where(x => CommentWithDate().IsMatch(x.line))
            .Select(x => $"{Relative(x.path)}:{x.i + 1}: {x.line.Trim()}")
            .ToList();
        dated.Should().BeEmpty("measurements live in docs/ with their command, date and machine");
    }

    [GeneratedRegex(@"\[LoggerMessage\((?:EventId\s*=\s*)?(\d+)")]
    private static partial Regex LoggerMessageId();

    [GeneratedRegex(@"^namespace\s+([\w.]+)\s*;", RegexOptions.Multiline)]
    private static partial Regex FileScopedNamespace();

    [GeneratedRegex(@"`((?:src|plugins|hosts|tests|scripts|docs|build|bench|samples|templates)/[^`\s]+)`")]
    private static partial Regex QuotedRepositoryPath();

    [GeneratedRegex(@"`(?:[\w.-]+/)*([A-Z][\w.]*\.(?:cs|targets|props))`")]
    private static partial Regex QuotedFileName();

    [GeneratedRegex(@"//.*\b20\d\d-\d\d-\d\d\b")]
    private static partial Regex CommentWithDate();
}
