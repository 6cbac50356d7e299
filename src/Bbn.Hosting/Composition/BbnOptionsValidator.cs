using Bbn.Core.Evaluation;
using System.Globalization;
using System.Text.RegularExpressions;
using Bbn.Abstractions;
using Bbn.Core.Model;
using Bbn.Core.Training;
using Bbn.Hosting.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Bbn.Hosting.Composition;

/// <summary>
/// Validates the whole "Bbn" section at start: every value against its range (the message shows the
/// value and the range), every component name against the catalog (the message lists the names
/// available), and each selected component's own settings by creating it once.
/// </summary>
public sealed partial class BbnOptionsValidator(ComponentCatalog catalog, ComponentResolver resolver, IConfiguration configuration, ILogger<BbnOptionsValidator> logger,
    RenamedSettings? renamed = null) : IValidateOptions<BbnOptions>
{
    private readonly HashSet<string> reported = [];

    public ValidateOptionsResult Validate(string? name, BbnOptions options)
    {
        var failures = new List<string>();
        void Range(string key, double value, double min, double max, string? what = null)
        {
            if (double.IsNaN(value) || value < min || value > max)
                failures.Add($"Bbn:{key} = {value.ToString(CultureInfo.InvariantCulture)} is out of range: expected {what ?? "a number"} from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}.");
        }

        var t = options.Training;
        Range("Training:Epochs", t.Epochs, 1, 100_000, "an integer");
        Range("Backbone:FreezeStages", options.Backbone.FreezeStages, 0, 4, "a stage count (0: nothing frozen; 4: the whole shared trunk)");
        Range("Backbone:TrunkLearningRateScale", options.Backbone.TrunkLearningRateScale, 1e-6, 10, "a multiple of the schedule's rate");
        if (options.Backbone.Pretrained is { Length: > 0 } pretrained && !File.Exists(pretrained))
            failures.Add($"Bbn:Backbone:Pretrained = '{pretrained}': {Path.GetFullPath(pretrained)} does not exist; give a torchvision or timm ResNet .pth or .safetensors file.");
        Range("Training:BatchSize", t.BatchSize, 1, 65_536, "an integer");
        Range("Training:LearningRate", t.LearningRate, 1e-8, 10);
        Range("Training:Momentum", t.Momentum, 0, 0.999);
        Range("Training:WeightDecay", t.WeightDecay, 0, 1);
        Range("Training:WarmupEpochs", t.WarmupEpochs, 0, 100_000, "an integer");
        Range("Training:MinWarmupSteps", t.MinWarmupSteps, 0, 10_000_000, "an integer (0: the per-epoch warm-up only)");
        Range("Training:ShortWarmupClipNorm", t.ShortWarmupClipNorm, 0, 1e6, "a norm (0: no clipping of short warm-ups)");
        for (int i = 0; i < t.LrDecayAt.Length; i++) Range($"Training:LrDecayAt:{i}", t.LrDecayAt[i], 0, 1, "a fraction of the run");
        Range("Training:LrDecayFactor", t.LrDecayFactor, 1e-6, 1);
        if (!Bbn.Core.Training.LearningRateShapes.IsValid(t.LrSchedule))
            failures.Add($"Bbn:Training:LrSchedule = '{t.LrSchedule}' is invalid: expected {string.Join(", ", Bbn.Core.Training.LearningRateShapes.All)}.");
        Range("Training:Threads", t.Threads, 0, 1024, "an integer (0: libtorch's default)");
        Range("Training:CropPadding", t.CropPadding, 0, 64, "an integer");
        var d = options.Distributed;
        if (d.Backend is not (Distributed.DistributedOptions.Auto or Distributed.DistributedOptions.None or Distributed.DistributedOptions.Mpi))
            failures.Add($"Bbn:Distributed:Backend = '{d.Backend}' is invalid: expected auto, none or mpi.");
        Range("Distributed:BucketMegabytes", d.BucketMegabytes, 0.001, 1_000_000);
        Range("Distributed:StopTimeoutSeconds", d.StopTimeoutSeconds, 0.1, 86_400);
        Range("Distributed:CheckWeightsEvery", d.CheckWeightsEvery, 0, int.MaxValue, "an integer (0: never)");
        Range("Training:EvaluationBatchSize", t.EvaluationBatchSize, 1, 65_536, "an integer");
        Range("Training:EvaluateEvery", t.EvaluateEvery, 1, 100_000, "an integer");
        Range("Training:FewShotThreshold", t.FewShotThreshold, 0, int.MaxValue, "an integer");
        Range("Training:ManyShotThreshold", t.ManyShotThreshold, t.FewShotThreshold, int.MaxValue, "an integer (at least FewShotThreshold)");
        Range("Training:MaxStepsPerEpoch", t.MaxStepsPerEpoch, 0, int.MaxValue, "an integer (0: every full batch)");
        Range("Training:LogEverySteps", t.LogEverySteps, 1, int.MaxValue, "an integer");
        Range("Training:SkipNonFiniteSteps", t.SkipNonFiniteSteps, 0, int.MaxValue, "an integer (0: stop at the first non-finite step)");
        if (t.ClassifierInit is not ("default" or "zero"))
            failures.Add($"Bbn:Training:ClassifierInit = '{t.ClassifierInit}' is invalid: expected default or zero.");
        Range("Training:MemoryGrowthTolerance", t.MemoryGrowthTolerance, 0, 10, "a fraction (0: give free memory back after every epoch)");
        Range("Dataset:ImbalanceRatio", options.Dataset.ImbalanceRatio, 1, 100_000);
        Range("Dataset:MaxPerClass", options.Dataset.MaxPerClass, 0, int.MaxValue, "an integer (0: the largest class of the split)");
        Range("Dataset:Workers", options.Dataset.Workers, 0, 1024, "an integer (0: every core)");
        Range("Dataset:Prefetch", options.Dataset.Prefetch, 1, 256, "an integer");
        var v = options.Validation;
        if (v.Split is not (ValidationOptions.Auto or ValidationOptions.None))
            failures.Add($"Bbn:Validation:Split = '{v.Split}' is invalid: expected auto (a split held out of training) or none.");
        Range("Validation:PerClass", v.PerClass, 1, 1_000_000, "an integer (validation images per class)");
        if (!(v.Fraction > 0 && v.Fraction < 1))
            failures.Add($"Bbn:Validation:Fraction = {v.Fraction.ToString(CultureInfo.InvariantCulture)} is out of range: expected a fraction between 0 and 1 (exclusive) of each class's training images.");
        if (!ValidationOptions.SelectionMetrics.Contains(v.SelectBy))
            failures.Add($"Bbn:Validation:SelectBy = '{v.SelectBy}' is invalid: expected {string.Join(" or ", ValidationOptions.SelectionMetrics)}.");
        if (!ValidationOptions.RefitChoices.Contains(v.Refit))
            failures.Add($"Bbn:Validation:Refit = '{v.Refit}' is invalid: expected {string.Join(", ", ValidationOptions.RefitChoices)}.");
        if (options.Dataset.OnBadImage is not ("fail" or "skip"))
            failures.Add($"Bbn:Dataset:OnBadImage = '{options.Dataset.OnBadImage}' is invalid: expected fail or skip.");
        if (!ClassifierHeadNames.IsValid(t.Classifier))
            failures.Add($"Bbn:Training:Classifier = '{t.Classifier}' is invalid: expected {string.Join(", ", ClassifierHeadNames.All)}.");
        if (!DevicePattern().IsMatch(t.Device ?? ""))
            failures.Add($"Bbn:Training:Device = '{t.Device}' is invalid: expected auto, cpu, cuda or cuda:N.");
        if (string.IsNullOrWhiteSpace(t.OutputDirectory))
            failures.Add("Bbn:Training:OutputDirectory is empty: give the folder that receives run directories (default: runs).");
        if (!string.IsNullOrEmpty(t.RunName) && (t.RunName.IndexOfAny(['/', '\\']) >= 0 || t.RunName is "." or ".."))
            failures.Add($"Bbn:Training:RunName = '{t.RunName}' is invalid: expected a folder name without path separators.");

        Range("Training:AccumulationSteps", t.AccumulationSteps, 1, t.BatchSize, "an integer (at most BatchSize)");
        if (t.AccumulationSteps >= 1 && t.BatchSize % t.AccumulationSteps != 0)
            failures.Add($"Bbn:Training:AccumulationSteps = {t.AccumulationSteps} does not divide Bbn:Training:BatchSize = {t.BatchSize}: choose a divisor, so that every micro-batch has the same size.");
        Range("Training:ClipGradientNorm", t.ClipGradientNorm, 0, 1e6, "a norm (0: no clipping)");
        Range("Training:EmaDecay", t.EmaDecay, 0, 0.999999, "a decay below 1 (0: no moving average)");

        var slots = ComponentSlot.Common.ToList();
        if (!string.IsNullOrWhiteSpace(options.BatchTransform.Name)) slots.Add(ComponentSlot.BatchTransform);
        foreach (var slot in slots) Check(slot, slot.SelectedName(options), failures);
        if (Check(ComponentSlot.Method, options.Method.Name, failures) is ITrainingMethod method)
        {
            if (method.Branches.Count == 0) failures.Add($"Bbn:Method:Name = '{options.Method.Name}' declares no branch; a method needs at least one.");
            foreach (var branch in method.Branches)
                Check(ComponentSlot.SamplerOf(branch), resolver.SelectedName(branch.SamplerSection, branch.DefaultSampler), failures);
        }
        foreach (string line in (renamed?.Warnings ?? []).Where(reported.Add)) UnknownSettingLog.Moved(logger, line);
        if (options.UnknownSettings is not (UnknownSettings.Error or UnknownSettings.Warn))
            failures.Add($"Bbn:UnknownSettings = '{options.UnknownSettings}' is invalid: expected error (a setting nothing reads stops the host) or warn.");
        else if (failures.Count == 0)
        {
            var unknown = UnknownSettings.Find(configuration, resolver.Contexts, renamed);
            if (options.UnknownSettings == UnknownSettings.Warn)
            {
                foreach (string line in unknown.Where(reported.Add)) UnknownSettingLog.Ignored(logger, line);
            }
            else
                failures.AddRange(unknown.Select(line => line + " (--Bbn:UnknownSettings=warn runs anyway.)"));
        }
        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    /// <summary>Creates the slot's component once (the run reuses it); adds what is wrong to <paramref name="failures"/>.</summary>
    private object? Check(ComponentSlot slot, string? selected, List<string> failures)
    {
        var available = catalog.NamesOf(slot.Kind);
        string list = available.Count == 0 ? "none (no plugin provides one)" : string.Join(", ", available);
        if (string.IsNullOrWhiteSpace(selected))
        {
            failures.Add($"{slot.SectionPath}:Name is not set. Choose a {slot.Kind}; available: {list}.");
            return null;
        }
        if (catalog.Find(slot.Kind, selected) is null)
        {
            failures.Add($"{slot.SectionPath}:Name = '{selected}' is not a known {slot.Kind}. Available {slot.Kind}s: {list}. " +
                         "Check the spelling, or add the plugin that provides it to Bbn:Plugins:Directories.");
            return null;
        }
        try
        {
            return resolver.Resolve(slot, selected);
        }
        catch (Exception e) when (e is ComponentConfigurationException or ComponentFailedException)
        {
            failures.Add(e.Message);
            return null;
        }
    }

    [GeneratedRegex("^(auto|cpu|cuda|cuda:[0-9]+)$")]
    private static partial Regex DevicePattern();
}

internal static partial class UnknownSettingLog
{
    [LoggerMessage(40, LogLevel.Warning, "{Line} It is ignored (Bbn:UnknownSettings = warn).")]
    public static partial void Ignored(ILogger logger, string line);

    [LoggerMessage(50, LogLevel.Warning, "{Line}")]
    public static partial void Moved(ILogger logger, string line);
}
