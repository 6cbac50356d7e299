using Bbn.Core.Evaluation;
using System.Globalization;
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
        // Every setting's own range or names, declared on the options classes ([SettingRange], [SettingOneOf]) and checked by
        // the source-generated validator; what follows here are the rules across settings and the components.
        var failures = new List<string>();
        var declared = new BbnOptionsDeclaredRules().Validate(BbnOptions.Section, options);
        if (declared.Failed) failures.AddRange(declared.Failures);

        var t = options.Training;
        if (options.Backbone.Pretrained is { Length: > 0 } pretrained && !File.Exists(pretrained))
            failures.Add($"Bbn:Backbone:Pretrained = '{pretrained}': {Path.GetFullPath(pretrained)} does not exist; give a torchvision or timm ResNet .pth or .safetensors file.");
        if (t.ManyShotThreshold < t.FewShotThreshold)
            failures.Add($"Bbn:Training:ManyShotThreshold = {t.ManyShotThreshold} is out of range: expected an integer (at least FewShotThreshold) from {t.FewShotThreshold} to {int.MaxValue}.");
        if (string.IsNullOrWhiteSpace(t.OutputDirectory))
            failures.Add("Bbn:Training:OutputDirectory is empty: give the folder that receives run directories (default: runs).");
        if (t.AccumulationSteps < 1 || t.AccumulationSteps > t.BatchSize)
            failures.Add($"Bbn:Training:AccumulationSteps = {t.AccumulationSteps} is out of range: expected an integer (at most BatchSize) from 1 to {t.BatchSize}.");
        else if (t.BatchSize % t.AccumulationSteps != 0)
            failures.Add($"Bbn:Training:AccumulationSteps = {t.AccumulationSteps} does not divide Bbn:Training:BatchSize = {t.BatchSize}: choose a divisor, so that every micro-batch has the same size.");

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
        if (failures.Count == 0)
        {
            var unknown = UnknownSettings.Find(configuration, resolver.Contexts, renamed);
            if (options.UnknownSettings == UnknownSettingsMode.Warn)
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
}

internal static partial class UnknownSettingLog
{
    [LoggerMessage(40, LogLevel.Warning, "{Line} It is ignored (Bbn:UnknownSettings = warn).")]
    public static partial void Ignored(ILogger logger, string line);

    [LoggerMessage(50, LogLevel.Warning, "{Line}")]
    public static partial void Moved(ILogger logger, string line);
}

/// <summary>The ranges and names the options classes declare on their properties, checked by the options source generator.</summary>
[OptionsValidator]
internal sealed partial class BbnOptionsDeclaredRules : IValidateOptions<BbnOptions>;
