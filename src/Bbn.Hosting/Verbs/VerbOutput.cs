namespace Bbn.Hosting.Verbs;

/// <summary>Where a verb writes its results (tables, JSON): the process's standard output, or a test's writer.</summary>
public sealed record VerbOutput(TextWriter Writer);
