namespace Bbn.Hosting.Verbs;

/// <summary>What the verb's service leaves for the process: the exit code and, on failure, the cause.</summary>
public sealed class RunOutcome
{
    public int ExitCode { get; private set; }

    public string? Failure { get; private set; }

    public void Succeed() => ExitCode = 0;

    /// <summary>The exception behind <see cref="Failure"/>, for --verbose.</summary>
    public Exception? Cause { get; private set; }

    public void Fail(Exception cause)
    {
        // A step that will not fit is refused at start, like a bad setting.
        ExitCode = cause is Bbn.Core.Training.StepDoesNotFitException ? 2 : 1;
        Failure = cause.Message;
        Cause = cause;
    }
}
