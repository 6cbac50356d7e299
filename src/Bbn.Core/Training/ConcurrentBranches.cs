using Bbn.Abstractions;
using Bbn.Core.Model;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Bbn.Core.Training;

/// <summary>
/// A two-branch method's branch passes at the same time on the CPU, each with half of the intra-op threads:
/// the first branch's pass (shared trunk + its block) on the calling thread, the second branch's
/// pass on a <see cref="BranchThread"/>, forward and backward. At batch 128 a ResNet-32 layer is too
/// small to keep two threads busy on its own (OpenMP fork/join and the serial parts of each operator),
/// two independent passes do.
/// The second pass runs through a replica of the trunk whose parameters share the trunk's storage
/// (so the optimiser's update reaches both) but are separate autograd leaves with their own batch-norm
/// buffers, so that the two threads never write the same memory. After the step the replica's
/// gradients are added to the trunk's, and the running statistics are combined exactly as the two
/// passes one after the other would leave them: the replica's buffers start at zero, so after its pass
/// they hold momentum * (batch statistic), and running = (1 - momentum) * running_after_pass_1 + that.
/// </summary>
internal sealed class ConcurrentBranches : IBranchExecutor
{
    private readonly BranchNetwork network;
    private readonly nn.Module<Tensor, Tensor> replica;
    private readonly (Parameter Trunk, Parameter Replica)[] parameters;
    private readonly (NormBase Trunk, NormBase Replica, double Momentum)[] norms;
    private readonly BranchThread thread = new("second branch pass");

    /// <summary>RunBoth calls still to run one pass after the other: the first step's forward and backward.</summary>
    private int firstStepCallsLeft = 2;

    /// <summary>The branch thread's intra-op threads as last set (0: not yet).</summary>
    private int branchThreads;

    private ConcurrentBranches(BranchNetwork network, nn.Module<Tensor, Tensor> replica,
        (Parameter, Parameter)[] parameters, (NormBase, NormBase, double)[] norms)
    {
        this.network = network;
        this.replica = replica;
        this.parameters = parameters;
        this.norms = norms;
    }

    /// <summary>
    /// A replica of <paramref name="network"/>'s trunk built by <paramref name="buildTrunk"/>, or null with
    /// the reason when the trunk cannot be replicated safely: names or shapes differ, or a buffer is not
    /// a batch norm's running statistic with a fixed momentum (its update could not be combined).
    /// </summary>
    public static ConcurrentBranches? TryCreate(BranchNetwork network, Func<nn.Module<Tensor, Tensor>> buildTrunk, out string? reason)
    {
        var rng = get_rng_state();
        var replica = buildTrunk();
        set_rng_state(rng);
        rng.Dispose();
        replica.to(network.Trunk.parameters().First().device);
        replica.train();
        var trunkParameters = network.Trunk.named_parameters().ToArray();
        var replicaParameters = replica.named_parameters().ToArray();
        var trunkNorms = network.Trunk.named_modules().Where(m => m.module is NormBase).ToArray();
        var replicaNorms = replica.named_modules().Where(m => m.module is NormBase).ToArray();
        int bufferCount = network.Trunk.named_buffers().Count();
        reason = null;
        if (trunkParameters.Length != replicaParameters.Length || trunkParameters.Zip(replicaParameters).Any(p => p.First.name != p.Second.name || !p.First.parameter.shape.SequenceEqual(p.Second.parameter.shape)))
            reason = "the backbone built a second trunk with other parameters";
        else if (trunkNorms.Length != replicaNorms.Length || trunkNorms.Zip(replicaNorms).Any(n => n.First.name != n.Second.name))
            reason = "the backbone built a second trunk with other normalisation layers";
        else if (trunkNorms.Any(n => n.module is not NormBase { track_running_stats: true, momentum: not null }))
            reason = "a normalisation layer of the trunk has no running statistics or a cumulative (null) momentum";
        else if (bufferCount != 3 * trunkNorms.Length)
            reason = "the trunk has buffers other than batch norms' running statistics";
        if (reason is not null)
        {
            replica.Dispose();
            return null;
        }

        using (no_grad())
        {
            foreach (var (trunk, copy) in trunkParameters.Zip(replicaParameters)) copy.parameter.set_(trunk.parameter);
        }
        return new ConcurrentBranches(network, replica,
            [.. trunkParameters.Zip(replicaParameters).Select(p => (p.First.parameter, p.Second.parameter))],
            [.. trunkNorms.Zip(replicaNorms).Select(n => ((NormBase)n.First.module, (NormBase)n.Second.module, ((NormBase)n.First.module).momentum!.Value))]);
    }

    /// <summary>The features of the step's last Forward and their detached leaves.</summary>
    private (Tensor First, Tensor FirstLeaf, Tensor Second, Tensor SecondLeaf)? pending;

    public string Description => $"both branch passes at once, {ThreadsPerPass} thread(s) each";

    /// <summary>
    /// Both branches' features as detached leaves: the caller's loss backpropagates to them, and
    /// <see cref="Backward(Tensor)"/> carries their gradients into both passes.
    /// </summary>
    public IReadOnlyList<Tensor> Forward(IReadOnlyList<Tensor> images)
    {
        var (first, second) = Forward(images[0], images[1]);
        var firstLeaf = first.detach().requires_grad_(true);
        var secondLeaf = second.detach().requires_grad_(true);
        pending = (first, firstLeaf, second, secondLeaf);
        return [firstLeaf, secondLeaf];
    }

    public void Backward(Tensor loss)
    {
        var (first, firstLeaf, second, secondLeaf) = pending ?? throw new InvalidOperationException("Backward without Forward.");
        pending = null;
        Backward(loss, first, firstLeaf, second, secondLeaf);
    }

    /// <summary>Both branches' features of one step.</summary>
    private (Tensor First, Tensor Second) Forward(Tensor firstImages, Tensor secondImages)
    {
        using (no_grad())
        {
            foreach (var (_, copy, _) in norms)
            {
                copy.running_mean!.zero_();
                copy.running_var!.zero_();
            }
        }
        Tensor? second = null;
        var features = RunBoth(
            () => network.Features(0, firstImages),
            () =>
            {
                using var scope = NewDisposeScope();
                second = network.Features(1, secondImages, replica).DetachFromDisposeScope();
            });
        return (features, second!);
    }

    /// <summary>
    /// Backpropagates <paramref name="loss"/>, computed from <paramref name="firstLeaf"/> and
    /// <paramref name="secondLeaf"/> (detached copies of Forward's features), into both
    /// passes, adds the replica's gradients to the trunk's and combines the running statistics.
    /// Disposes the second branch's features.
    /// </summary>
    private void Backward(Tensor loss, Tensor first, Tensor firstLeaf, Tensor second, Tensor secondLeaf)
    {
        replica.zero_grad();
        loss.backward();
        using var firstGrad = firstLeaf.grad!;
        using var secondGrad = secondLeaf.grad!;
        try
        {
            RunBoth(() => { first.backward([firstGrad]); return first; }, () => second.backward([secondGrad]));
        }
        finally
        {
            second.Dispose();
        }
        using (no_grad())
        {
            foreach (var (trunk, copy) in parameters)
            {
                using var copyGrad = copy.grad;
                if (copyGrad is null) continue;
                using var trunkGrad = trunk.grad;
                if (trunkGrad is null) trunk.grad = copyGrad.clone();
                else trunkGrad.add_(copyGrad, Scalars.One);
            }
            // After backward: batch norm's backward node holds the running statistics (saved with their
            // version), so changing them between forward and backward would fail it.
            foreach (var (trunk, copy, momentum) in norms)
            {
                using Scalar kept = (1 - momentum).ToScalar(), one = 1.ToScalar();
                trunk.running_mean!.mul_(kept).add_(copy.running_mean!, Scalars.One);
                trunk.running_var!.mul_(kept).add_(copy.running_var!, Scalars.One);
                trunk.num_batches_tracked!.add_(one, Scalars.IntegerOne);
            }
        }
    }

    /// <summary>The intra-op threads each pass gets: half of libtorch's.</summary>
    public static int ThreadsPerPass => Math.Max(1, get_num_threads() / 2);

    /// <summary>
    /// Runs both passes, the calling thread's with <see cref="ThreadsPerPass"/> threads. libtorch's thread
    /// settings change only while the other thread is idle: at::set_num_threads also rewrites a
    /// process-wide count and clears the calling thread's oneDNN primitive cache. The first step's
    /// passes run one after the other: two threads meeting the convolutions for the first time together
    /// crash libtorch 2.10's oneDNN now and then (docs/troubleshooting.md).
    /// </summary>
    private T RunBoth<T>(Func<T> onThisThread, Action onBranchThread)
    {
        int threads = get_num_threads();
        int half = ThreadsPerPass;
        SetBranchThreads(half);
        set_num_threads(half);
        try
        {
            if (firstStepCallsLeft > 0)
            {
                firstStepCallsLeft--;
                thread.Start(onBranchThread).GetAwaiter().GetResult();
                return onThisThread();
            }
            var other = thread.Start(onBranchThread);
            try
            {
                return onThisThread();
            }
            finally
            {
                other.GetAwaiter().GetResult();
            }
        }
        finally
        {
            set_num_threads(threads);
        }
    }

    private void SetBranchThreads(int count)
    {
        if (branchThreads == count) return;
        thread.Start(() =>
        {
            // The thread's first libtorch call sets its OpenMP threads to the process-wide count
            // (at::lazy_init_num_threads); make it now, so that it cannot undo the setting below later.
            _ = get_num_threads();
            set_num_threads(count);
        }).GetAwaiter().GetResult();
        branchThreads = count;
    }

    /// <summary>Returns the branch thread's free heap memory to the system (<see cref="Runtime.NativeHeap.ReleaseThreadArenaTop"/>).</summary>
    public void ReleaseMemory() => thread.Start(Runtime.NativeHeap.ReleaseThreadArenaTop).GetAwaiter().GetResult();

    public void Dispose()
    {
        thread.Dispose();
        replica.Dispose();
    }
}
