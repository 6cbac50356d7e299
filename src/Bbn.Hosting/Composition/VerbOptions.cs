namespace Bbn.Hosting.Composition;

// The verbs' own settings, beside the run's (BbnOptions), so that composition and validation know every setting without knowing the verbs.

/// <summary>Bbn:Predict: the `predict` verb's settings.</summary>
public sealed class PredictOptions
{
    public const string Section = "Bbn:Predict";

    /// <summary>A checkpoint.bbn, or a run directory that holds one.</summary>
    public string? Checkpoint { get; set; }

    /// <summary>Image files and folders (searched recursively).</summary>
    public List<string> Inputs { get; set; } = [];

    /// <summary>How many classes to show per image.</summary>
    public int Top { get; set; } = 5;

    /// <summary>JSON on standard output instead of a table.</summary>
    public bool Json { get; set; }

    /// <summary>Images per forward pass.</summary>
    public int BatchSize { get; set; } = 64;
}

/// <summary>Bbn:Import: the `import` verb's settings.</summary>
public sealed class ImportOptions
{
    public const string Section = "Bbn:Import";

    /// <summary>A PyTorch state_dict (torch.save(model.state_dict(), path)) with the official BBN names.</summary>
    public string? File { get; set; }

    /// <summary>The checkpoint.bbn to write; an existing file is not replaced.</summary>
    public string? Output { get; set; }
}

/// <summary>Bbn:Evaluate: the `evaluate` verb's settings.</summary>
public sealed class EvaluateOptions
{
    public const string Section = "Bbn:Evaluate";

    /// <summary>A checkpoint.bbn, or a run directory that holds one.</summary>
    public string? Checkpoint { get; set; }

    /// <summary>Where the summary goes; default: evaluation/summary.json beside the checkpoint.</summary>
    public string? Output { get; set; }
}

/// <summary>Bbn:Export: the `export` verb's settings.</summary>
public sealed class ExportOptions
{
    public const string Section = "Bbn:Export";

    /// <summary>A checkpoint.bbn, or a run directory that holds one.</summary>
    public string? Checkpoint { get; set; }

    /// <summary>The .pth file to write.</summary>
    public string? Output { get; set; }
}
