using Bbn.Abstractions;
using Bbn.Core.Evaluation;
using Bbn.Core.Training;
using Microsoft.Extensions.Configuration;

namespace Bbn.Hosting.Composition;

/// <summary>The "Bbn" configuration section: the composition of a run.</summary>
public sealed class BbnOptions
{
    public const string Section = "Bbn";

    /// <summary>The method (Bbn:Method:Name; a plain value, --Bbn:Method=crt, names it too) and its own settings.</summary>
    public ComponentSelection Method { get; set; } = new();

    /// <summary>A batch transform (mixup, cutmix) for every stage that names none; no name: none.</summary>
    public ComponentSelection BatchTransform { get; set; } = new();

    [Microsoft.Extensions.Options.ValidateObjectMembers]
    public DatasetSelection Dataset { get; set; } = new();
    [Microsoft.Extensions.Options.ValidateObjectMembers]
    public BackboneSelection Backbone { get; set; } = new();
    public ComponentSelection Loss { get; set; } = new();

    /// <summary>The optimiser of every stage that brings none of its own (sgd, adamw, or a plugin's); its rate, momentum and decay are Bbn:Training's.</summary>
    public ComponentSelection Optimizer { get; set; } = new() { Name = "sgd" };
    [Microsoft.Extensions.Options.ValidateObjectMembers]
    public TrainingOptions Training { get; set; } = new();

    /// <summary>The validation split and what selects the kept epoch on it.</summary>
    [Microsoft.Extensions.Options.ValidateObjectMembers]
    public ValidationOptions Validation { get; set; } = new();

    /// <summary>The inference knobs tuned on the validation split after training, and whether evaluate and predict apply them.</summary>
    public PostHocOptions PostHoc { get; set; } = new();

    /// <summary>Data-parallel training under mpirun.</summary>
    [Microsoft.Extensions.Options.ValidateObjectMembers]
    public Distributed.DistributedOptions Distributed { get; set; } = new();

    /// <summary>error: a setting nothing reads (a typo) stops the host at start; warn: it is logged and the run goes on.</summary>
    [SettingOneOf(Expected = "error (a setting nothing reads stops the host) or warn")]
    public UnknownSettingsMode UnknownSettings { get; set; } = UnknownSettingsMode.Error;
}

/// <summary>A component chosen by name; the rest of its section is the component's own settings.</summary>
public class ComponentSelection
{
    public string? Name { get; set; }
}

/// <summary>Bbn:Backbone: the backbone by name, its own settings, and the kernel's: a pretrained start and what of the trunk trains.</summary>
public sealed class BackboneSelection : ComponentSelection
{
    /// <summary>A torchvision or timm ResNet state_dict (.pth) or .safetensors file to start the backbone from; null: a fresh backbone.</summary>
    public string? Pretrained { get; set; }

    /// <summary>true: every tensor of the backbone must come from the file and every tensor of the file must find its place (the zoo's classifier aside).</summary>
    public bool PretrainedStrict { get; set; } = true;

    /// <summary>0: the whole trunk trains; N: its stem and layer1 to layerN stay as they are (4: all of the shared trunk).</summary>
    [SettingRange(0, 4, What = "a stage count (0: nothing frozen; 4: the whole shared trunk)")]
    public int FreezeStages { get; set; }

    /// <summary>The trunk's learning rate as a multiple of the schedule's (0.1 for a pretrained trunk is common).</summary>
    [SettingRange(1e-6, 10, What = "a multiple of the schedule's rate")]
    public double TrunkLearningRateScale { get; set; } = 1;

    /// <summary>The trunk's batch norms stay in evaluation mode, keeping the pretrained running statistics.</summary>
    public bool FreezeNorm { get; set; }

    public Bbn.Core.Model.FineTuning? FineTuning() =>
        Pretrained is null && FreezeStages == 0 && TrunkLearningRateScale == 1 && !FreezeNorm
            ? null
            : new(Pretrained, PretrainedStrict, FreezeStages, TrunkLearningRateScale, FreezeNorm);
}

public sealed class DatasetSelection : ComponentSelection
{
    /// <summary>N_max / N_min of the long-tailed training set; 1 keeps the training set as it is.</summary>
    [SettingRange(1, 100_000)]
    public double ImbalanceRatio { get; set; } = 100;

    /// <summary>n_max, the largest class of the long-tailed profile; 0: the split's largest class (the paper's). Makes small long-tailed sets from a large split.</summary>
    [SettingRange(0, int.MaxValue, What = "an integer (0: the largest class of the split)")]
    public int MaxPerClass { get; set; }

    /// <summary>
    /// The seed of the long-tailed subset's draw, apart from Bbn:Training:Seed (the official code draws
    /// with seed 0): changing the training seed varies initialisation, sampling and augmentation over the same subset.
    /// </summary>
    public int SubsetSeed { get; set; }

    /// <summary>
    /// Cut the training split to the long-tailed profile of <see cref="ImbalanceRatio"/>; null: the
    /// dataset's default (yes for in-memory datasets such as CIFAR and Fashion-MNIST, no for file
    /// datasets such as iNaturalist and image folders, which are long-tailed already).
    /// </summary>
    public bool? ApplyProfile { get; set; }

    /// <summary>A manifest.json of an earlier run: train on exactly that subset instead of drawing one.</summary>
    public string? Manifest { get; set; }

    /// <summary>fail | skip: what to do with an image file that cannot be decoded (file datasets).</summary>
    [SettingOneOf]
    public Bbn.Core.Data.BadImagePolicy OnBadImage { get; set; } = Bbn.Core.Data.BadImagePolicy.Fail;

    /// <summary>Images decoded in parallel (file datasets); 0: every core.</summary>
    [SettingRange(0, 1024, What = "an integer (0: every core)")]
    public int Workers { get; set; }

    /// <summary>Training steps decoded ahead of the training step (file datasets).</summary>
    [SettingRange(1, 256, What = "an integer")]
    public int Prefetch { get; set; } = 4;
}

/// <summary>Reads Bbn:Method given as a plain value (the way earlier versions spelled it).</summary>
public static class MethodSetting
{
    public const string Section = "Bbn:Method";
    public const string Default = "bbn";

    /// <summary>Bbn:Method:Name, else a plain Bbn:Method value, else bbn.</summary>
    public static string Name(IConfiguration configuration) =>
        configuration[Section + ":Name"] ?? configuration.GetSection(Section).Value ?? Default;
}

/// <summary>Bbn:UnknownSettings.</summary>
public enum UnknownSettingsMode
{
    /// <summary>A setting nothing reads stops the host at start.</summary>
    Error,

    /// <summary>It is logged once and the run goes on.</summary>
    Warn,
}
