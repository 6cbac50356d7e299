using TorchSharp;
using static TorchSharp.torch;

namespace Bbn.Abstractions.Optimizers;

/// <summary>
/// SGD with momentum, Nesterov and weight decay: TorchSharp's <see cref="TorchSharp.Modules.SGD"/> update, op for op,
/// with every <see cref="Scalar"/> held in a variable until its native calls return.
/// </summary>
/// <remarks>
/// TorchSharp 0.107's SGD passes scalars made implicitly from doubles (<c>buf.mul_(momentum)</c>, <c>add_(grad, alpha: -lr)</c>)
/// to native code with nothing keeping them alive, so the finalizer thread can free one mid-call: "Unknown scalar type"
/// ended a 20-epoch run after 700 steps (docs/investigations/native-lifetimes.md). The state, its checkpoint format and
/// the parameter groups are the base class's, so checkpoints written before read back unchanged.
/// </remarks>
public sealed class SafeSgd : TorchSharp.Modules.SGD
{
    /// <summary>One group: every parameter at the same rate.</summary>
    public SafeSgd(IEnumerable<TorchSharp.Modules.Parameter> parameters, double learningRate, double momentum = 0, double weightDecay = 0, bool nesterov = false)
        : base(parameters, learningRate, momentum, 0, weightDecay, nesterov, false)
    {
    }

    /// <summary>A parameter group per <see cref="OptimizerGroup"/>, each starting at the base rate times its scale.</summary>
    public SafeSgd(IEnumerable<OptimizerGroup> groups, double learningRate, double momentum = 0, double weightDecay = 0, bool nesterov = false)
        : base(groups.Select(g => new ParamGroup(g.Parameters, new Options { LearningRate = learningRate * g.LearningRateScale })), learningRate, momentum, 0, weightDecay, nesterov, false)
    {
    }

    /// <summary>One update of every parameter that has a gradient.</summary>
    public override Tensor step(Func<Tensor>? closure = null) => _step<TorchSharp.Modules.SGD.ParamGroup>(group =>
    {
        var options = group.Options;
        double groupMomentum = options.momentum!.Value, dampening = options.dampening!.Value, decay = options.weight_decay!.Value;
        bool groupNesterov = options.nesterov!.Value, maximize = options.maximize!.Value;
        double lr = options.LearningRate!.Value;
        using Scalar decayScalar = decay.ToScalar();
        using Scalar momentumScalar = groupMomentum.ToScalar();
        using Scalar keptScalar = (1 - dampening).ToScalar();
        using Scalar stepScalar = (maximize ? lr : -lr).ToScalar();

        foreach (var param in group.Parameters)
        {
            var state = (TorchSharp.Modules.SGD.State)_state[param.Handle];
            var grad = param.grad;
            if (grad is null) continue;
            if (decay != 0) grad = grad.add(param, decayScalar);
            if (groupMomentum != 0)
            {
                var buffer = state.momentum_buffer;
                if (buffer is null)
                {
                    buffer = grad.clone().detach().DetachFromDisposeScope();
                    state.momentum_buffer = buffer;
                }
                else
                {
                    buffer.mul_(momentumScalar).add_(grad, keptScalar);
                }
                grad = groupNesterov ? grad.add(buffer, momentumScalar) : buffer;
            }
            param.add_(grad, stepScalar);
        }
    }, closure);
}
