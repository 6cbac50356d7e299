using TorchSharp;
using Bbn.Core.Data;
using Bbn.Core.Model;
using static TorchSharp.torch;

namespace Bbn.Core.Evaluation;

/// <summary>
/// Inference knobs tuned after training on the validation split and recorded in the checkpoint. The
/// identity (the method's own inference, no tau-normalisation, no logit adjustment, temperature 1) is the network as trained.
/// </summary>
/// <param name="Method">The method's own knob (<see cref="Abstractions.InferenceKnob"/>) at a value; null: the method's own inference.</param>
/// <param name="TauNorm">tau of tau-normalisation (Kang et al. 2020): each class's weight vector divided by its norm^tau; linear heads only.</param>
/// <param name="LogitAdjustment">tau of post-hoc logit adjustment (Menon et al. 2021): logits - tau log(prior of the training classes).</param>
/// <param name="Temperature">Logits divided by it before the softmax (Guo et al. 2017): calibration only, the predictions stay.</param>
public sealed record PostHocSettings(MethodKnobValue? Method = null, double TauNorm = 0, double LogitAdjustment = 0, double Temperature = 1)
{
    public static PostHocSettings Identity { get; } = new();

    public bool IsIdentity => this == Identity;
}

/// <summary>A method's inference knob at a value.</summary>
public sealed record MethodKnobValue(string Name, double Value);

/// <summary>The logits of a network under <see cref="PostHocSettings"/>.</summary>
public sealed class PostHocLogits
{
    private readonly BranchNetwork network;
    private readonly Func<Tensor, Tensor>? adjust;
    private readonly double[] logPrior;

    /// <param name="network">The trained network.</param>
    /// <param name="trainingClassCounts">The training set's class sizes: the prior of logit adjustment.</param>
    /// <param name="adjust">The loss's own inference adjustment, applied first (as evaluation always does).</param>
    public PostHocLogits(BranchNetwork network, IReadOnlyList<int> trainingClassCounts, Func<Tensor, Tensor>? adjust)
    {
        this.network = network;
        this.adjust = adjust;
        double total = trainingClassCounts.Sum();
        // An empty class gets the prior of one image, so that its log stays finite.
        logPrior = trainingClassCounts.Select(n => Math.Log(Math.Max(n, 1) / total)).ToArray();
    }

    /// <summary>The method's inference knob, or null.</summary>
    public Abstractions.InferenceKnob? Knob => network.Knob;

    /// <summary>Whether tau-normalisation applies: a linear head (a cosine head's weights are normalised already).</summary>
    public bool HasTauNorm => network.Head == Abstractions.ClassifierHead.Linear;

    /// <summary>Logits of normalised images.</summary>
    public Tensor Of(Tensor images, PostHocSettings settings)
    {
        if (settings.IsIdentity)
        {
            var plain = network.call(images);
            return adjust is null ? plain : adjust(plain);
        }
        var features = network.BranchFeatures(images);
        return FromFeatures(features, settings);
    }

    /// <summary>Logits from the branches' features (<see cref="BranchNetwork.BranchFeatures"/>): what a grid search evaluates without running the trunk again.</summary>
    public Tensor FromFeatures(IReadOnlyList<Tensor> features, PostHocSettings settings)
    {
        using var scope = NewDisposeScope();
        using Scalar tauNorm = settings.TauNorm.ToScalar(), adjustment = settings.LogitAdjustment.ToScalar(), temperature = settings.Temperature.ToScalar();
        var combined = settings.Method is { } m && network.Knob is { } knob && m.Value != knob.Neutral
            ? knob.Combine(features, m.Value)
            : network.Combine(features);
        Tensor logits;
        if (settings.TauNorm != 0 && HasTauNorm)
        {
            var classifier = network.ClassifierTensors();
            var weight = classifier.Weight.div(classifier.Weight.norm(1, keepdim: true).pow(tauNorm));
            logits = nn.functional.linear(combined, weight, classifier.Bias);
            if (classifier.LogitScale is not null) logits = logits.mul(classifier.LogitScale);
        }
        else
        {
            logits = network.Classify(combined);
        }
        if (adjust is not null) logits = adjust(logits);
        if (settings.LogitAdjustment != 0)
            logits = logits.sub(tensor(logPrior, device: logits.device).to_type(logits.dtype).mul(adjustment));
        if (settings.Temperature != 1) logits = logits.div(temperature);
        return logits.MoveToOuterDisposeScope();
    }
}
