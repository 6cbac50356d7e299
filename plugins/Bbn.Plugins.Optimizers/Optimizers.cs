using Bbn.Abstractions;
using Bbn.Abstractions.Optimizers;

namespace Bbn.Plugins.Optimizers;

/// <summary>
/// The optimisers Bbn:Optimizer:Name chooses: SGD (BBN's and most long-tail recipes') and AdamW (the transformer and
/// fine-tuning recipes'). Both hold every native scalar through their calls (Bbn.Abstractions.Optimizers).
/// </summary>
public sealed class OptimizersRegistrar : IPluginRegistrar
{
    public void Register(IComponentRegistry components)
    {
        components.Add<IOptimizerFactory>("sgd", _ => new SgdFactory(), "SGD with the stage's momentum, weight decay and Nesterov (Bbn:Training:Momentum, WeightDecay, Nesterov)");
        components.Add<IOptimizerFactory>("adamw", c => new AdamWFactory(c.Bind<AdamWOptions>()), "AdamW (Loshchilov and Hutter 2019): decoupled weight decay Bbn:Training:WeightDecay, Beta1 0.9, Beta2 0.999, Eps 1e-8");
    }
}

public sealed class SgdFactory : IOptimizerFactory
{
    public TorchSharp.Modules.OptimizerHelper Create(IReadOnlyList<OptimizerGroup> groups, StageOptimizer settings) =>
        new SafeSgd(groups, settings.LearningRate, settings.Momentum, settings.WeightDecay, settings.Nesterov && settings.Momentum > 0);
}

public sealed class AdamWFactory(AdamWOptions options) : IOptimizerFactory
{
    public TorchSharp.Modules.OptimizerHelper Create(IReadOnlyList<OptimizerGroup> groups, StageOptimizer settings) =>
        new SafeAdamW(groups, settings.LearningRate, options.Beta1, options.Beta2, options.Eps, settings.WeightDecay);
}
