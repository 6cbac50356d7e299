namespace Bbn.Hosting.Training;

/// <summary>The exit code the verb's service leaves for the process.</summary>
public sealed class RunOutcome
{
    public int ExitCode { get; set; }
}
