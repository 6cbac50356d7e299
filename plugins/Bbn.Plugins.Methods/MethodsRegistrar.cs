using Bbn.Abstractions;

namespace Bbn.Plugins.Methods;

/// <summary>BBN, the single-branch baseline, and the two-stage methods BBN is compared with.</summary>
public sealed class MethodsRegistrar : IPluginRegistrar
{
    public void Register(IComponentRegistry components)
    {
        components.Add<ITrainingMethod>("bbn", c => new BilateralBranch(c.Component<IWeightSchedule>("Bbn:Method:Adaptor", "parabolic")),
            "BBN (Zhou et al. 2020): conventional + re-balancing branch, cumulative learning with Bbn:Method:Adaptor, one stage");
        components.Add<ITrainingMethod>("single-branch", _ => new SingleBranch(),
            "one branch, Bbn:Method:Samplers:Conventional and Bbn:Loss: the CE / re-sampling / re-weighting baselines");
        components.Add<ITrainingMethod>("crt", c => Decoupling.ClassifierRetraining(c.Bind<ClassifierStageOptions>(), ClassifierSampler(c)),
            "cRT (Kang et al. 2020): CE, then the classifier re-initialised and retrained on class-balanced batches, representation frozen");
        components.Add<ITrainingMethod>("lws", c => Decoupling.LearnableWeightScaling(c.Bind<ClassifierStageOptions>(), ClassifierSampler(c)),
            "LWS (Kang et al. 2020): CE, then only a per-class scale of the logits trained on class-balanced batches");
        components.Add<ITrainingMethod>("tau-norm", c => Decoupling.TauNormalization(c.Bind<TauNormOptions>().Tau),
            "tau-normalisation (Kang et al. 2020): CE, then classifier weights w_i / ||w_i||^Tau (bias dropped), Tau default 1");
        components.Add<ITrainingMethod>("weight-balancing", c => WeightBalancing.Create(c.Bind<WeightBalancingOptions>(),
                c.Component<ILoss>("Bbn:Method:ClassifierLoss", "class-balanced")),
            "weight balancing (Alshammari et al. 2022): CE with WeightDecay, then the classifier with a class-balanced loss and MaxNorm");
        components.Add<ITrainingMethod>("mislas", c => Mislas.Create(c.Bind<MislasOptions>(), c.Component<IBatchTransform>("Bbn:Method:Mixup", "mixup"), ClassifierSampler(c)),
            "MiSLAS (Zhong et al. 2021): mixup, then the classifier with label-aware smoothing and shifted batch-norm statistics");
    }

    /// <summary>The second stage's sampler, Bbn:Method:ClassifierSampler:Name (class-balanced by default).</summary>
    private static ISampler ClassifierSampler(ComponentContext c) => c.Component<ISampler>("Bbn:Method:ClassifierSampler", "class-balanced");
}
