using Bbn.Abstractions;
using Bbn.Core.Model;
using Bbn.Core.Training;

namespace Bbn.Core.Inference;

/// <summary>Builds the network a checkpoint describes (method, classifier, classes, input shape).</summary>
public static class NetworkFactory
{
    /// <summary>The header of a checkpoint that records its training data (written by version 0.2 and later).</summary>
    public static CheckpointHeader ReadHeaderWithData(string checkpointPath)
    {
        var header = Checkpoint.ReadHeader(checkpointPath);
        if (header.Data is null)
            throw new InvalidDataException(
                $"Checkpoint {checkpointPath} was written by an earlier version and does not record its classes, input shape and normalisation. " +
                "Run `evaluate` on it (it needs the dataset), or train again to get a self-describing checkpoint.");
        return header;
    }

    /// <summary>The network of <paramref name="checkpointPath"/> (described by its <paramref name="header"/>) with its trained weights.</summary>
    public static BilateralBranchNetwork Load(string checkpointPath, CheckpointHeader header, IBackbone backbone)
    {
        var network = Create(header, backbone);
        try
        {
            Checkpoint.Load(checkpointPath, network, null);
            return network;
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    public static BilateralBranchNetwork Create(CheckpointHeader header, IBackbone backbone)
    {
        var data = header.Data ?? throw new ArgumentException("The header records no training data.", nameof(header));
        bool bilateral = header.Method == TrainingMethodNames.Bbn;
        var head = header.Classifier == ClassifierHeadNames.Cosine ? ClassifierHead.Cosine : ClassifierHead.Linear;
        return new BilateralBranchNetwork(backbone.Build(data.Shape), data.ClassNames.Count, bilateral, head);
    }
}
