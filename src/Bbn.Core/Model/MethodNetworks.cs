using Bbn.Abstractions;

namespace Bbn.Core.Model;

/// <summary>The network a method trains, over a backbone's parts: one block per branch and the method's classifier input.</summary>
public static class MethodNetworks
{
    /// <summary>The network <paramref name="method"/> trains, over freshly built backbone <paramref name="parts"/>.</summary>
    public static BranchNetwork Build(ITrainingMethod method, BackboneParts parts, int classCount, ClassifierHead head) =>
        new(parts, classCount, method.Branches.Select(b => b.Name).ToArray(), head, method.ClassifierInputSize(parts.FeatureSize),
            method.LogitScale, method.InferenceFeatures, method.InferenceKnob);
}
