using Bbn.Abstractions;
using Bbn.Core.Data;
using Bbn.Core.Model;
using static TorchSharp.torch;

namespace Bbn.Core.Training;

/// <summary>
/// The method's stages and which one is active: what trains and what is frozen (with its batch norms), the stage's
/// samplers, loss, transform and learning-rate schedule, and the epoch plans they draw.
/// </summary>
public sealed class StageController(TrainingSetup setup, TrainingOptions options, BranchNetwork network, IImageSet train, IPretrainedLayout? layout = null)
{
    /// <summary>The trunk's parameters that Bbn:Backbone:FreezeStages keeps frozen in every stage.</summary>
    private readonly HashSet<TorchSharp.Modules.Parameter> frozen = FrozenStages(setup.FineTune, network, layout);
    private LearningRateSchedule learningRates = null!;
    private IReadOnlyList<ISampler> samplers = [];

    /// <summary>The stages the method declares for these settings, in order.</summary>
    public IReadOnlyList<TrainingStage> All { get; } = setup.PlanStages(options, train.ClassCounts);

    public int Count => All.Count;

    /// <summary>The active stage (from 1), 0 before the first.</summary>
    public int Active { get; private set; }

    /// <summary>The active stage's loss (Bbn:Loss unless the stage names its own).</summary>
    public ILoss Loss { get; private set; } = setup.Loss;

    /// <summary>The active stage's batch transform, or null.</summary>
    public IBatchTransform? Transform { get; private set; }

    public TrainingStage this[int stage] => All[stage - 1];

    public int TotalEpochs => All.Sum(s => s.Epochs);

    /// <summary>The epoch's number counted over every stage (metrics.jsonl, TensorBoard).</summary>
    public int RunEpoch(int stage, int epoch) => All.Take(stage - 1).Sum(s => s.Epochs) + epoch;

    /// <summary>
    /// Makes <paramref name="stage"/> the active one: its parameters train and the rest are frozen (their batch norms in
    /// evaluation mode unless a hook of the stage sets them otherwise), and the stage's hooks are told (a re-initialised
    /// classifier when nothing of the stage has run yet). Returns the parameters that train.
    /// </summary>
    public IReadOnlyList<TorchSharp.Modules.Parameter> Begin(int stage, bool atStageStart)
    {
        var s = this[stage];
        var trainable = network.ParametersOf(s.Trains).ToHashSet();
        trainable.ExceptWith(frozen);
        foreach (var p in network.parameters()) p.requires_grad = trainable.Contains(p);
        Active = stage;
        var view = new StageNetwork(network, () => ReinitializeClassifier(stage));
        foreach (var hook in HooksOf(stage)) hook.StageStarting(view, atStageStart);
        RestoreModes();
        learningRates = LearningRateSchedule.For(s.Optimizer, s.Epochs, options.MinWarmupSteps, s.RateShape);
        samplers = setup.Method.Branches.Select((b, i) => s.Samplers?.GetValueOrDefault(b.Name) ?? setup.Samplers[i]).ToArray();
        Loss = s.Loss ?? setup.Loss;
        Transform = s.Transform ?? setup.Transform;
        return network.parameters().Where(trainable.Contains).ToArray();
    }

    /// <summary>The hooks of <paramref name="stage"/>, in order.</summary>
    public IReadOnlyList<IStageHook> HooksOf(int stage) => this[stage].Hooks ?? [];

    private static HashSet<TorchSharp.Modules.Parameter> FrozenStages(Model.FineTuning? fineTune, BranchNetwork network, IPretrainedLayout? layout)
    {
        if (fineTune is not { FreezeStages: > 0 } f) return [];
        if (layout is null)
            throw new ArgumentException($"Bbn:Backbone:FreezeStages = {f.FreezeStages}: this backbone does not say which of its parameters form which stage; use resnet18 or resnet50, or set 0.");
        return network.Trunk.named_parameters().Where(p => layout.StageOf(p.name) <= f.FreezeStages).Select(p => p.parameter).ToHashSet();
    }

    /// <summary>Sets the classifier's bias where the loss asks for a starting value (focal loss's prior).</summary>
    private void InitializeClassifierBias(ILoss loss)
    {
        if (loss.InitialClassifierBias(train.ClassNames.Count) is double bias) network.FillClassifierBias(bias);
    }

    /// <summary>
    /// Training mode, with the batch norms of the parts the active stage does not train in evaluation mode, then the stage's
    /// hooks (<see cref="IStageHook.ModesSet"/>), then Bbn:Backbone:FreezeNorm's trunk norms in evaluation mode (after an evaluation, too).
    /// </summary>
    public void RestoreModes()
    {
        if (Active == 0) return;
        network.train();
        var s = this[Active];
        foreach (var module in network.ModulesOf(NetworkParts.All & ~s.Trains))
            foreach (var norm in module.modules().OfType<TorchSharp.Modules.NormBase>())
                norm.eval();
        int active = Active;
        var view = new StageNetwork(network, () => ReinitializeClassifier(active));
        foreach (var hook in HooksOf(Active)) hook.ModesSet(view);
        if (setup.FineTune is { FreezeNorm: true })
            foreach (var norm in network.Trunk.modules().OfType<TorchSharp.Modules.NormBase>()) norm.eval();
    }

    /// <summary>Runs the stage's end-of-stage changes on the classifier (tau-normalisation).</summary>
    public void End(int stage)
    {
        using var _ = no_grad();
        foreach (var hook in HooksOf(stage).OfType<IStageEndHook>()) hook.StageEnding(network.ClassifierTensors());
    }

    public double LearningRate(int epoch) => learningRates.At(epoch);

    /// <summary>The rate of step <paramref name="step"/> (from 0) of <paramref name="epoch"/>, of <paramref name="stepsPerEpoch"/>: the epoch's, unless the warm-up runs per step (<see cref="TrainingOptions.MinWarmupSteps"/>).</summary>
    public double LearningRate(int epoch, int step, int stepsPerEpoch) => learningRates.At(epoch, step, stepsPerEpoch);

    /// <summary>Whether the active stage's warm-up runs per step and clipped (shorter than <see cref="TrainingOptions.MinWarmupSteps"/> at <paramref name="stepsPerEpoch"/>).</summary>
    public bool IsShortWarmup(int stepsPerEpoch) => learningRates.IsShortWarmup(stepsPerEpoch);

    /// <summary>ClipGradientNorm when set; else ShortWarmupClipNorm while the stage's warm-up is short (<see cref="TrainingOptions.MinWarmupSteps"/>); else none.</summary>
    public double GradientNormBound(int stepsPerEpoch)
    {
        if (options.ClipGradientNorm > 0) return options.ClipGradientNorm;
        if (options.ShortWarmupClipNorm > 0 && learningRates.IsShortWarmup(stepsPerEpoch)) return options.ShortWarmupClipNorm;
        return double.PositiveInfinity;
    }

    /// <summary>What the method reports for an epoch of the active stage (<see cref="ITrainingMethod.ReportedMetrics"/>); null when nothing.</summary>
    public IReadOnlyDictionary<string, double>? MethodMetrics(int epoch) =>
        setup.Method.ReportedMetrics(epoch, this[Active].Epochs) is { Count: > 0 } metrics ? metrics : null;

    /// <summary>
    /// The active stage's index sequence per branch for <paramref name="epoch"/>, and the augmentation streams: one input per
    /// branch and view (branch-major), every view of a branch over the same images, each view with its own stream.
    /// </summary>
    public EpochPlan PlanEpoch(int epoch)
    {
        int stage = Active;
        var names = setup.BranchNames;
        int views = Math.Max(1, setup.Method.Views);
        var orders = samplers.Select((sampler, b) => sampler.Sample(new SamplingContext(train.LabelArray, train.ClassCounts, epoch, this[stage].Epochs,
            SeedStreams.Random(options.Seed, TrainingBatches.StageStream(stage, "sampler-" + names[b]), epoch)))).ToArray();
        return new EpochPlan(epoch,
            [.. orders.SelectMany(order => Enumerable.Repeat(order, views))],
            [.. names.SelectMany(n => Enumerable.Range(0, views).Select(v => TrainingBatches.AugmentStream(stage, v == 0 ? n : $"{n}-view{v + 1}")))]);
    }

    public int StepsIn(EpochPlan plan)
    {
        int steps = plan.Orders.Min(o => o.Length) / options.BatchSize;
        return options.MaxStepsPerEpoch > 0 ? Math.Min(steps, options.MaxStepsPerEpoch) : steps;
    }

    /// <summary>Fresh classifier weights for <paramref name="stage"/>, seeded by the stage, so a run resumed at the stage's start draws the same classifier.</summary>
    private void ReinitializeClassifier(int stage)
    {
        manual_seed(SeedStreams.Derive(options.Seed, "classifier-init", stage));
        network.ReinitializeClassifier();
        InitializeClassifierBias(this[stage].Loss ?? setup.Loss);
    }

    /// <summary>The network as the hooks of one stage see it.</summary>
    private sealed class StageNetwork(BranchNetwork network, Action reinitialize) : IStageNetwork
    {
        public ClassifierParameters Classifier => network.ClassifierTensors();

        public void ReinitializeClassifier() => reinitialize();

        public IReadOnlyList<nn.Module> NormsOf(NetworkParts parts) =>
            [.. network.ModulesOf(parts).SelectMany(m => m.modules().OfType<TorchSharp.Modules.NormBase>())];
    }
}
