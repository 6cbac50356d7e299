using Bbn.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace Bbn.Abstractions.Optimizers;

/// <summary>
/// AdamW (Loshchilov and Hutter 2019): TorchSharp's <see cref="TorchSharp.Modules.AdamW"/> update, op for op, with every
/// <see cref="Scalar"/> held in a variable until its native calls return (see <see cref="SafeSgd"/> for why). The state and
/// its checkpoint format are the base class's. AMSGrad is not offered.
/// </summary>
public sealed class SafeAdamW : TorchSharp.Modules.AdamW
{
    /// <summary>One group: every parameter at the same rate.</summary>
    public SafeAdamW(IEnumerable<TorchSharp.Modules.Parameter> parameters, double learningRate, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8,
        double weightDecay = 0.01)
        : base(parameters, learningRate, beta1, beta2, eps, weightDecay, false, false)
    {
    }

    /// <summary>A parameter group per <see cref="OptimizerGroup"/>, each starting at the base rate times its scale.</summary>
    public SafeAdamW(IEnumerable<OptimizerGroup> groups, double learningRate, double beta1 = 0.9, double beta2 = 0.999, double eps = 1e-8, double weightDecay = 0.01)
        : base(groups.Select(g => new ParamGroup(g.Parameters, new Options { LearningRate = learningRate * g.LearningRateScale })), learningRate, beta1, beta2, eps, weightDecay, false, false)
    {
    }

    /// <summary>One update of every parameter that has a gradient.</summary>
    public override Tensor step(Func<Tensor>? closure = null) => _step<TorchSharp.Modules.AdamW.ParamGroup>(group =>
    {
        var options = (TorchSharp.Modules.AdamW.Options)group.Options;
        double b1 = options.beta1!.Value, b2 = options.beta2!.Value, decay = options.weight_decay!.Value, epsilon = options.eps!.Value;
        double lr = options.LearningRate!.Value;
        using Scalar shrink = (1 - (lr * decay)).ToScalar();
        using Scalar b1Scalar = b1.ToScalar(), keep1 = (1 - b1).ToScalar();
        using Scalar b2Scalar = b2.ToScalar(), keep2 = (1 - b2).ToScalar();
        using Scalar epsScalar = epsilon.ToScalar();

        foreach (var param in group.Parameters)
        {
            var state = (TorchSharp.Modules.AdamW.State)_state[param.Handle];
            var grad = param.grad;
            if (grad is null) continue;
            state.step += 1;
            param.mul_(shrink);
            double correction1 = 1 - Math.Pow(b1, state.step);
            double correction2 = 1 - Math.Pow(b2, state.step);
            state.exp_avg.mul_(b1Scalar).add_(grad, keep1);
            state.exp_avg_sq.mul_(b2Scalar).addcmul_(grad, grad, keep2);
            using Scalar root = Math.Sqrt(correction2).ToScalar();
            using Scalar stepSize = (-(lr / correction1)).ToScalar();
            using var denominator = state.exp_avg_sq.sqrt();
            denominator.div_(root).add_(epsScalar, Scalars.One);
            param.addcdiv_(state.exp_avg, denominator, stepSize);
        }
    }, closure);
}
