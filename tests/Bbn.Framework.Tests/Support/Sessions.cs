using Bbn.Abstractions;
using Bbn.Core.Data;
using Bbn.Core.Training;
using static TorchSharp.torch;

namespace Bbn.Framework.Tests;

/// <summary>Training sessions of the built-in methods on an in-memory set: resnet32, each branch's default sampler, cross-entropy.</summary>
internal static class Sessions
{
    public static TrainingSession Create(string method, TrainingOptions options, ImageSet train, Dictionary<string, string?>? methodSettings = null,
        string loss = "cross-entropy", IBatchTransform? transform = null, ImageSet? validation = null, ImageSet? test = null, Device? device = null,
        IOptimizerFactory? optimizer = null)
    {
        var m = BuiltInComponents.Create<ITrainingMethod>(method, methodSettings);
        var samplers = m.Branches.Select(b => BuiltInComponents.Create<ISampler>(b.DefaultSampler)).ToArray();
        var setup = new TrainingSetup(method, m, BuiltInComponents.Create<IBackbone>("resnet32"), samplers, BuiltInComponents.Create<ILoss>(loss), transform,
            Optimizer: optimizer);
        return new TrainingSession(setup, options, train, test ?? train, device ?? CPU, new RunIdentity("resnet32", "synthetic", loss), validation);
    }

    /// <summary>The first <paramref name="steps"/> losses of epoch <paramref name="epoch"/> of the first stage.</summary>
    public static double[] FirstSteps(TrainingSession session, int epoch, int steps)
    {
        session.BeginStage(1, atStageStart: true);
        foreach (var group in session.Optimization.Optimizer!.ParamGroups) group.LearningRate = session.Stages.LearningRate(epoch);
        var plan = session.Stages.PlanEpoch(epoch);
        return Enumerable.Range(0, steps).Select(s => session.Step(plan, s)).ToArray();
    }
}
