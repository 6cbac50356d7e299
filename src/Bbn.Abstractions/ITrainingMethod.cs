using TorchSharp;
using static TorchSharp.torch;

namespace Bbn.Abstractions;

/// <summary>
/// A training method (component kind "method", chosen by Bbn:Method:Name): its branches, how one
/// step's branch outputs become the loss, and its stages. The kernel builds the network from the
/// backbone's parts (one block of the last stage per branch, one classifier over the classifier
/// input), runs the stages in one loop, and hands the method every step (<see cref="TrainStep"/>), by default to its
/// <see cref="Loss"/>. (Contracts 1.3; the step and views 2.0.)
/// </summary>
public interface ITrainingMethod
{
    /// <summary>The branches, in order; each has its own last block and its own sampler. At least one.</summary>
    IReadOnlyList<MethodBranch> Branches { get; }

    /// <summary>The classifier's input size for branches of <paramref name="featureSize"/> features each; default: the branches' features concatenated.</summary>
    int ClassifierInputSize(int featureSize) => featureSize * Branches.Count;

    /// <summary>Gives the network a learnable per-class scale of the logits (initialised to 1), as LWS trains.</summary>
    bool LogitScale => false;

    /// <summary>Augmented views of each image a step draws per branch (<see cref="ITrainingStep.Forward"/>); default 1. (Contracts 2.0.)</summary>
    int Views => 1;

    /// <summary>The loss of one training step, a scalar tensor (used by the default <see cref="TrainStep"/>).</summary>
    Tensor Loss(BranchOutputs outputs, MethodStep position);

    /// <summary>
    /// One optimiser step: the default forwards each micro-batch's first view, takes <see cref="Loss"/> and updates. A method
    /// with a step of its own (several views, several losses) overrides it and ends with <see cref="ITrainingStep.Update"/>. (Contracts 2.0.)
    /// </summary>
    double TrainStep(ITrainingStep training) => training.Update(part => Loss(training.Forward(part), training.Position));

    /// <summary>
    /// A knob of the method's inference that post-hoc tuning may search on the validation split (Bbn:PostHoc:MethodKnob), or null:
    /// none. At its <see cref="InferenceKnob.Neutral"/> value the inference is <see cref="InferenceFeatures"/>. (Contracts 2.0.)
    /// </summary>
    InferenceKnob? InferenceKnob => null;

    /// <summary>The classifier's input at inference from every branch's features of the same images; default: concatenated.</summary>
    Tensor InferenceFeatures(IReadOnlyList<Tensor> features) => features.Count == 1 ? features[0].alias() : cat([.. features], 1);

    /// <summary>
    /// What the method reports for <paramref name="epoch"/> of <paramref name="totalEpochs"/> of the active stage beside the
    /// kernel's figures, by name (BBN: its adaptor's weight); the log, metrics.jsonl, status.json, TensorBoard and the plots
    /// show each one. Default: none. (Contracts 2.0.)
    /// </summary>
    IReadOnlyDictionary<string, double> ReportedMetrics(int epoch, int totalEpochs) => NoMetrics;

    /// <summary>No metrics of the method's own.</summary>
    static readonly IReadOnlyDictionary<string, double> NoMetrics = new Dictionary<string, double>();

    /// <summary>The stages, in order. <paramref name="plan"/> carries Bbn:Training's epochs and optimiser recipe.</summary>
    IReadOnlyList<TrainingStage> Stages(StagePlan plan);
}

/// <summary>A knob of a method's inference, searched after training on the validation split.</summary>
/// <param name="Name">The knob's name in logs, summaries and checkpoints.</param>
/// <param name="Neutral">The value at which inference is the method's own (<see cref="ITrainingMethod.InferenceFeatures"/>).</param>
/// <param name="Grid">The values searched.</param>
/// <param name="Combine">The classifier's input from every branch's features at a value of the knob.</param>
public sealed record InferenceKnob(string Name, double Neutral, IReadOnlyList<double> Grid, Func<IReadOnlyList<Tensor>, double, Tensor> Combine);

/// <summary>One branch of a method.</summary>
/// <param name="Name">The branch's name, also the name of its block's parameters (BBN's two are named for their samplers).</param>
/// <param name="SamplerSection">The configuration section that selects its sampler (under the method's own section, such as <c>Bbn:Method:Samplers:NAME</c>).</param>
/// <param name="DefaultSampler">The sampler used when that section names none.</param>
public sealed record MethodBranch(string Name, string SamplerSection, string DefaultSampler);

/// <summary>Where a step stands.</summary>
/// <param name="Stage">The stage, from 1.</param>
/// <param name="Epoch">The epoch within the stage, from 1.</param>
/// <param name="TotalEpochs">The stage's epochs.</param>
/// <param name="Step">The step within the epoch, from 0.</param>
/// <param name="Random">A generator seeded from the run's seed, the stage, the epoch and the step.</param>
public sealed record MethodStep(int Stage, int Epoch, int TotalEpochs, int Step, Random Random);

/// <summary>One step's branch passes, and the stage's loss on each branch's targets.</summary>
public sealed class BranchOutputs
{
    private readonly Func<Tensor, Tensor> classify;
    private readonly ILoss loss;

    /// <summary>Creates the outputs of one step.</summary>
    public BranchOutputs(IReadOnlyList<Tensor> features, IReadOnlyList<BatchTargets> targets, Func<Tensor, Tensor> classify, ILoss loss, LossContext lossContext)
    {
        Features = features;
        Targets = targets;
        this.classify = classify;
        this.loss = loss;
        LossContext = lossContext;
    }

    /// <summary>Each branch's features [N, FeatureSize], in the order of <see cref="ITrainingMethod.Branches"/>.</summary>
    public IReadOnlyList<Tensor> Features { get; }

    /// <summary>Each branch's targets.</summary>
    public IReadOnlyList<BatchTargets> Targets { get; }

    /// <summary>What the stage's loss knows beyond the batch.</summary>
    public LossContext LossContext { get; }

    /// <summary>The classifier's logits (with the logit scale, when the network has one) for classifier inputs.</summary>
    public Tensor Classify(Tensor classifierInput) => classify(classifierInput);

    /// <summary>
    /// The stage's loss of <paramref name="logits"/> against branch <paramref name="branch"/>'s targets;
    /// for mixed batches lambda * L(z, y_a) + (1 - lambda) * L(z, y_b) (mixup, Zhang et al. 2018).
    /// </summary>
    public Tensor LossOf(Tensor logits, int branch)
    {
        var targets = Targets[branch];
        if (targets.Mixed is null) return loss.Compute(logits, targets.Labels, LossContext);
        using var first = loss.Compute(logits, targets.Labels, LossContext);
        using var second = loss.Compute(logits, targets.Mixed, LossContext);
        using Scalar lambda = targets.Lambda.ToScalar(), rest = (1 - targets.Lambda).ToScalar();
        using var weightedFirst = first.mul(lambda);
        using var weightedSecond = second.mul(rest);
        return weightedFirst.add(weightedSecond, Scalars.One);
    }
}

/// <summary>A branch's targets: class indices, and for a mixed batch the partner's classes and the mixing weight.</summary>
/// <param name="Labels">int64 [N] class indices.</param>
/// <param name="Mixed">The classes of the images mixed in, or null.</param>
/// <param name="Lambda">The weight of <paramref name="Labels"/> (1 when nothing is mixed).</param>
public sealed record BatchTargets(Tensor Labels, Tensor? Mixed = null, double Lambda = 1.0);

/// <summary>What <see cref="ITrainingMethod.Stages"/> gets from Bbn:Training.</summary>
/// <param name="Epochs">Bbn:Training:Epochs.</param>
/// <param name="Optimizer">Bbn:Training's optimiser and learning-rate recipe.</param>
/// <param name="ClassCounts">The training set's images per class.</param>
public sealed record StagePlan(int Epochs, StageOptimizer Optimizer, IReadOnlyList<int> ClassCounts);

/// <summary>One stage of a method: what trains, on what, for how long. The batch norms of the parts it does not train keep their statistics unless a hook says otherwise.</summary>
/// <param name="Name">A short name for logs and records (<c>representation</c>, <c>classifier</c>).</param>
/// <param name="Epochs">The stage's epochs.</param>
/// <param name="Trains">The parts whose parameters train; the rest are frozen.</param>
/// <param name="Optimizer">SGD and its learning-rate schedule for this stage.</param>
/// <param name="Samplers">A sampler per branch name for this stage; a branch not named keeps its configured sampler.</param>
/// <param name="Loss">The stage's loss; null: Bbn:Loss.</param>
/// <param name="Transform">A batch transform for this stage (mixup); null: Bbn:BatchTransform, if any.</param>
/// <param name="Hooks">The method's work at points of the stage (a re-initialised classifier, batch norms that keep updating, a constraint after each update, a change at the end); contracts 2.0.</param>
/// <param name="OptimizerFactory">The stage's own optimiser (contracts 1.7); null: Bbn:Optimizer.</param>
/// <param name="RateShape">The stage's own learning-rate shape (contracts 1.7); null: <see cref="StageOptimizer.Schedule"/>.</param>
public sealed record TrainingStage(
    string Name,
    int Epochs,
    NetworkParts Trains,
    StageOptimizer Optimizer,
    IReadOnlyDictionary<string, ISampler>? Samplers = null,
    ILoss? Loss = null,
    IBatchTransform? Transform = null,
    IReadOnlyList<IStageHook>? Hooks = null,
    IOptimizerFactory? OptimizerFactory = null,
    ILearningRateShape? RateShape = null);

/// <summary>The parts of the network whose parameters a stage trains.</summary>
[Flags]
public enum NetworkParts
{
    /// <summary>Nothing.</summary>
    None = 0,

    /// <summary>The shared trunk.</summary>
    Trunk = 1,

    /// <summary>Every branch's last block.</summary>
    Branches = 2,

    /// <summary>The classifier's weights and bias.</summary>
    Classifier = 4,

    /// <summary>The per-class logit scale (<see cref="ITrainingMethod.LogitScale"/>).</summary>
    LogitScale = 8,

    /// <summary>The representation: trunk and branches.</summary>
    Representation = Trunk | Branches,

    /// <summary>Everything but the logit scale.</summary>
    All = Trunk | Branches | Classifier,
}

/// <summary>SGD and a learning-rate schedule.</summary>
/// <param name="LearningRate">The base rate.</param>
/// <param name="Momentum">SGD momentum.</param>
/// <param name="WeightDecay">L2 weight decay.</param>
/// <param name="Nesterov">Nesterov momentum.</param>
/// <param name="Schedule">The schedule's shape.</param>
/// <param name="WarmupEpochs">Linear warm-up from a third of the rate (<see cref="LearningRateShape.WarmupMultiStep"/>).</param>
/// <param name="DecayAt">Where the rate is multiplied by <paramref name="DecayFactor"/>, as fractions of the stage.</param>
/// <param name="DecayFactor">The multi-step factor.</param>
public sealed record StageOptimizer(
    double LearningRate, double Momentum, double WeightDecay, bool Nesterov,
    LearningRateShape Schedule, int WarmupEpochs, IReadOnlyList<double> DecayAt, double DecayFactor);

/// <summary>How a stage's learning rate moves from epoch to epoch.</summary>
public enum LearningRateShape
{
    /// <summary>The official BBN WarmupMultiStepLR.</summary>
    WarmupMultiStep,

    /// <summary>Cosine from the base rate to 0 over the stage (the decoupling code's stage 2).</summary>
    Cosine,

    /// <summary>The base rate throughout.</summary>
    Constant,

    /// <summary>
    /// LDAM-DRW's adjust_learning_rate: base * e / W for e &lt;= W, then multiplied by the factor after
    /// each milestone epoch (0.8 and 0.9 of 200 with 0.01: x0.01 from epoch 161, x0.0001 from epoch 181).
    /// </summary>
    LinearWarmupMultiStep,
}

/// <summary>The classifier's tensors: for constraints and post-hoc changes (run under no_grad), or live in a step's loss.</summary>
/// <param name="Weight">[K, D].</param>
/// <param name="Bias">[K], or null for a cosine classifier.</param>
/// <param name="LogitScale">[K], or null.</param>
public sealed record ClassifierParameters(Tensor Weight, Tensor? Bias, Tensor? LogitScale);
