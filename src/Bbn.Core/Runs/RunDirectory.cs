using System.Text.Json;

namespace Bbn.Core.Runs;

/// <summary>The folder a run writes: config.json, metrics.jsonl, summary.json, checkpoint.bbn.</summary>
public sealed class RunDirectory
{
    public const string CheckpointFile = "checkpoint.bbn";

    public RunDirectory(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
    }

    public string Path { get; }
    public string ConfigPath => System.IO.Path.Combine(Path, "config.json");
    public string MetricsPath => System.IO.Path.Combine(Path, "metrics.jsonl");
    public string SummaryPath => System.IO.Path.Combine(Path, "summary.json");
    public string CheckpointPath => System.IO.Path.Combine(Path, CheckpointFile);
    public string StatusPath => System.IO.Path.Combine(Path, "status.json");
    public string ManifestPath => System.IO.Path.Combine(Path, Data.SubsetManifest.FileName);

    /// <summary>best.bbn: the weights of the epoch the validation split selected.</summary>
    public string BestCheckpointPath => System.IO.Path.Combine(Path, BestCheckpointFile);

    public string SelectionPath => System.IO.Path.Combine(Path, "selection.json");
    public const string BestCheckpointFile = "best.bbn";

    public void WriteSelection(SelectedEpoch selection) => AtomicFile.WriteAllText(SelectionPath, JsonSerializer.Serialize(selection, RunJson.Indented));

    /// <summary>The selection so far (a resumed run continues it), or null.</summary>
    public SelectedEpoch? ReadSelection() =>
        File.Exists(SelectionPath) ? JsonSerializer.Deserialize<SelectedEpoch>(File.ReadAllText(SelectionPath), RunJson.Options) : null;
    public bool HasCheckpoint => File.Exists(CheckpointPath);

    /// <summary>The folder of a refit's selection run, inside the run's own (Bbn:Validation:Refit).</summary>
    public const string SelectionRunFolder = "selection";

    /// <summary>The selection run of a refit; it exists only where the run refits.</summary>
    public RunDirectory SelectionRun => new(System.IO.Path.Combine(Path, SelectionRunFolder));

    /// <summary>A checkpoint to resume from: the run's own, or its selection run's when the refit has not begun.</summary>
    public bool CanResume => HasCheckpoint || File.Exists(System.IO.Path.Combine(Path, SelectionRunFolder, CheckpointFile));

    /// <summary>
    /// The run directory for a new run: <paramref name="runName"/> under <paramref name="outputDirectory"/>,
    /// or a new timestamped name. Refuses a folder that already holds a run, so nothing is overwritten.
    /// </summary>
    public static RunDirectory ForNewRun(string outputDirectory, string? runName, string prefix, DateTimeOffset now)
    {
        string name = string.IsNullOrWhiteSpace(runName) ? $"{prefix}-{now:yyyyMMdd-HHmmss}" : runName;
        var run = new RunDirectory(System.IO.Path.Combine(outputDirectory, name));
        if (run.HasCheckpoint || File.Exists(run.SummaryPath) || File.Exists(run.MetricsPath))
            throw new RunDirectoryException(
                $"Run directory {run.Path} already holds a run. Continue it with --Bbn:Training:Resume=true " +
                $"--Bbn:Training:RunName={name}, or choose another Bbn:Training:RunName; nothing was overwritten.");
        try
        {
            Directory.CreateDirectory(run.Path);
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new RunDirectoryException(
                $"Cannot create the run directory {run.Path} (Bbn:Training:OutputDirectory = {outputDirectory}): {e.Message.TrimEnd('.')}. " +
                "Choose a folder this user may write to with --Bbn:Training:OutputDirectory=<folder>.");
        }
        return run;
    }

    /// <summary>The run to continue: <paramref name="runName"/>, or the newest run with a checkpoint.</summary>
    public static RunDirectory ForResume(string outputDirectory, string? runName)
    {
        RunDirectory? run = null;
        if (!string.IsNullOrWhiteSpace(runName))
        {
            run = new RunDirectory(System.IO.Path.Combine(outputDirectory, runName));
        }
        else if (Directory.Exists(outputDirectory))
        {
            run = Directory.GetDirectories(outputDirectory)
                .Select(d => new RunDirectory(d))
                .Where(r => r.CanResume)
                .OrderByDescending(r => File.GetLastWriteTimeUtc(r.HasCheckpoint ? r.CheckpointPath : r.SelectionRun.CheckpointPath))
                .FirstOrDefault();
        }
        if (run is null || !run.CanResume)
            throw new RunDirectoryException(
                $"Bbn:Training:Resume is true but {(run?.CheckpointPath ?? $"no run directory under {System.IO.Path.GetFullPath(outputDirectory)}")} " +
                $"holds a {CheckpointFile}. Set Bbn:Training:RunName to a run that was checkpointed, or drop Resume to start a new run.");
        return run;
    }

    public void WriteConfig(string json) => AtomicFile.WriteAllText(ConfigPath, json);

    public void WriteSummary(RunSummary summary) => WriteSummary(summary, SummaryPath);

    public void WriteStatus(RunStatus status) => AtomicFile.WriteAllText(StatusPath, JsonSerializer.Serialize(status, RunJson.Indented));

    public static void WriteSummary(RunSummary summary, string path) =>
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(summary, RunJson.Indented));

    public void AppendMetrics(EpochMetrics metrics) =>
        File.AppendAllText(MetricsPath, JsonSerializer.Serialize(metrics, RunJson.Options) + "\n");

    /// <summary>Drops metric lines of epochs at or after <paramref name="epoch"/> (an interrupted epoch is redone on resume).</summary>
    public void TrimMetricsFrom(int epoch)
    {
        if (!File.Exists(MetricsPath)) return;
        var kept = File.ReadAllLines(MetricsPath)
            .Where(line => line.Length > 0 && JsonSerializer.Deserialize<EpochMetrics>(line, RunJson.Options)!.Epoch < epoch)
            .Select(line => line + "\n");
        AtomicFile.WriteAllText(MetricsPath, string.Concat(kept));
    }

    public IReadOnlyList<EpochMetrics> ReadMetrics() =>
        File.Exists(MetricsPath)
            ? File.ReadAllLines(MetricsPath).Where(l => l.Length > 0).Select(l => JsonSerializer.Deserialize<EpochMetrics>(l, RunJson.Options)!).ToList()
            : [];
}

public sealed class RunDirectoryException(string message) : Exception(message);
