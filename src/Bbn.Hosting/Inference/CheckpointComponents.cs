using Bbn.Abstractions;
using Bbn.Core.Inference;
using Bbn.Core.Model;
using Bbn.Core.Training;
using Bbn.Hosting.Composition;

namespace Bbn.Hosting.Inference;

/// <summary>
/// The components a checkpoint names in its header (backbone, method, loss), so that evaluate,
/// predict and export rebuild what training chose without the user repeating its settings.
/// </summary>
public sealed class CheckpointComponents(ComponentResolver resolver)
{
    public IBackbone Backbone(CheckpointHeader header) => resolver.Resolve<IBackbone>(ComponentSlot.Backbone, header.Backbone);

    public ITrainingMethod Method(CheckpointHeader header) => resolver.Resolve<ITrainingMethod>(ComponentSlot.Method, header.Method);

    /// <summary>The loss training used (its inference adjustment applies), or <paramref name="configured"/> for checkpoints that do not record it.</summary>
    public ILoss Loss(CheckpointHeader header, string configured) => resolver.Resolve<ILoss>(ComponentSlot.Loss, header.Loss ?? configured);

    /// <summary>The trained network of <paramref name="checkpoint"/>.</summary>
    public BranchNetwork Network(string checkpoint, CheckpointHeader header) => NetworkFactory.Load(checkpoint, header, Backbone(header), Method(header));
}
