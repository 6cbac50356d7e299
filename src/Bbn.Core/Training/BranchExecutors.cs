using Bbn.Core.Model;
using static TorchSharp.torch;

namespace Bbn.Core.Training;

/// <summary>How a step runs its branch passes: every multi-branch method gets the same executors.</summary>
internal interface IBranchExecutor : IDisposable
{
    /// <summary>What the log says about it ("both branch passes at once, ...").</summary>
    string Description { get; }

    /// <summary>Each branch's features of its images, for the method's loss.</summary>
    IReadOnlyList<Tensor> Forward(IReadOnlyList<Tensor> images);

    /// <summary>Backpropagates a loss computed from <see cref="Forward"/>'s features into the network (gradients add up).</summary>
    void Backward(Tensor loss);

    /// <summary>Returns threads' free heap memory to the system, where the executor has threads of its own.</summary>
    void ReleaseMemory() { }
}

/// <summary>The branch passes one after the other on the calling thread.</summary>
internal sealed class SequentialBranches(BranchNetwork network, string description) : IBranchExecutor
{
    public string Description => description;

    public IReadOnlyList<Tensor> Forward(IReadOnlyList<Tensor> images) =>
        images.Select((batch, branch) => network.Features(branch, batch)).ToArray();

    public void Backward(Tensor loss) => loss.backward();

    public void Dispose()
    {
        // Nothing of its own.
    }
}
