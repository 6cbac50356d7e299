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
        Failure = OneLine(cause);
        Cause = cause;
    }

    /// <summary>
    /// The failure as one line: a native (libtorch) error's message carries "Exception raised from ..." and
    /// its C++ frames, which go to the log at Debug and to --verbose, not to the user's terminal.
    /// </summary>
    public static string OneLine(Exception cause)
    {
        string message = cause.Message;
        if (cause is not System.Runtime.InteropServices.ExternalException) return message;
        int frames = message.IndexOf("Exception raised from", StringComparison.Ordinal);
        string first = (frames >= 0 ? message[..frames] : message).Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? "";
        first = first.Replace("(Could this error message be improved?  If so, please report an enhancement request to PyTorch.)", "", StringComparison.Ordinal).Trim();
        return $"libtorch: {first} (its native frames are in the log at Debug; --verbose prints them)";
    }
}
