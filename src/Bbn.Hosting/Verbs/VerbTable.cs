using Microsoft.Extensions.DependencyInjection;

namespace Bbn.Hosting.Verbs;

/// <summary>One verb of the trainer: its name, its positional arguments (as settings), its usage line and its service.</summary>
/// <param name="Name">What the user types first.</param>
/// <param name="Positional">The settings that positional arguments fill, in order (predict's inputs repeat).</param>
/// <param name="Usage">The line shown for a misplaced argument.</param>
/// <param name="AddService">Registers the verb's hosted service; null for verbs that run before the host is built (plugins, recipes).</param>
public sealed record Verb(string Name, IReadOnlyList<string> Positional, string Usage, Action<IServiceCollection>? AddService);

/// <summary>Every verb, in one place: the application, the argument parser and the usage lines read it.</summary>
public static class VerbTable
{
    public static readonly IReadOnlyList<Verb> All =
    [
        new("train", [], "Usage: train [--recipe NAME] [--Bbn:Section:Key=value ...]", s => s.AddHostedService<TrainerService>()),
        new("evaluate", ["Bbn:Evaluate:Checkpoint"], "Usage: evaluate <run directory | checkpoint.bbn> [--Bbn:Section:Key=value ...]",
            s => s.AddHostedService<EvaluationService>()),
        new("predict", ["Bbn:Predict:Checkpoint", "Bbn:Predict:Inputs"],
            "Usage: predict <run directory | checkpoint.bbn> <image or folder>... [--top N] [--json] [--Bbn:Section:Key=value ...]", s => s.AddHostedService<PredictService>()),
        new("export", ["Bbn:Export:Checkpoint", "Bbn:Export:Output"], "Usage: export <run directory | checkpoint.bbn> <output.pth>", s => s.AddHostedService<ExportService>()),
        new("import", ["Bbn:Import:File", "Bbn:Import:Output"],
            "Usage: import <state_dict.pth> <output checkpoint.bbn> [--Bbn:Section:Key=value ...: the composition and dataset it was trained with]",
            s => s.AddHostedService<ImportService>()),
        new("plugins", [], "Usage: plugins [--Bbn:Plugins:Directories:N=<folder> ...]", null),
        new("trust", [], "Usage: trust [--Bbn:Plugins:Directories:N=<folder> ...] (prints each installed plugin's SHA-256 as a Bbn:Plugins:Trusted setting)", null),
        new("recipes", [], "Usage: recipes (lists the shipped recipes; train one with train --recipe NAME)", null),
        new("compare", ["Bbn:Compare:Plan"],
            "Usage: compare [plan.json] [--seeds N] [--baseline NAME] [--Bbn:Compare:Compositions:NAME=\"--Bbn:Key=value ...\" ...] [--Bbn:Compare:Output=DIR] [--Bbn:Section:Key=value ...: common to every run]",
            null),
    ];

    public static IReadOnlyList<string> Names => [.. All.Select(v => v.Name)];

    public static Verb? Find(string name) => All.FirstOrDefault(v => v.Name == name);
}
