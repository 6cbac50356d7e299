using Microsoft.Extensions.Logging;

namespace Bbn.Hosting.Verbs;

/// <summary>The log lines every verb shares: its failure, named after the verb, and the plots it wrote.</summary>
internal static partial class VerbLog
{
    /// <summary>At Debug only, with the stack trace: the one line a person reads goes to stderr once, from BbnApplication.</summary>
    [LoggerMessage(100, LogLevel.Debug, "{Verb} failed: {Reason}")]
    public static partial void Failed(ILogger logger, string verb, string reason, Exception exception);

    [LoggerMessage(101, LogLevel.Information, "Plots: {Plots}")]
    public static partial void Plots(ILogger logger, string plots);
}

/// <summary>The evaluate verb's log lines.</summary>
internal static partial class EvaluateLog
{
    [LoggerMessage(200, LogLevel.Information, "Evaluated {Checkpoint}: top1 {Top1:P2}; summary in {SummaryPath}")]
    public static partial void Evaluated(ILogger logger, string checkpoint, double top1, string summaryPath);

    [LoggerMessage(201, LogLevel.Information, "With the inference knobs the checkpoint records as tuned on the validation split: {Settings} (--Bbn:PostHoc:Apply=false: the network as trained)")]
    public static partial void Applied(ILogger logger, string settings);
}

/// <summary>The export verb's log lines.</summary>
internal static partial class ExportLog
{
    [LoggerMessage(300, LogLevel.Information, "Exported {Checkpoint} to {Output} ({Tensors} tensors, official BBN parameter names)")]
    public static partial void Exported(ILogger logger, string checkpoint, string output, int tensors);
}

/// <summary>The import verb's log lines.</summary>
internal static partial class ImportLog
{
    [LoggerMessage(400, LogLevel.Information, "Imported {File} into {Output}")]
    public static partial void Imported(ILogger logger, string file, string output);
}
