using Bbn.Abstractions;
using Bbn.Core.Model;
using Bbn.Core.Training;

namespace Bbn.Core.Inference;

/// <summary>A method's network from a checkpoint, for evaluate, predict, export and import (for training: <see cref="MethodNetworks"/>).</summary>
public static class NetworkFactory
{
    /// <summary>The header of a checkpoint that records its training data (written by version 0.2 and later).</summary>
    public static CheckpointHeader ReadHeaderWithData(string checkpointPath)
    {
        var header = Checkpoint.ReadHeader(checkpointPath);
        if (header.Data is null)
            throw new InvalidDataException(
                $"Checkpoint {checkpointPath} was written by an earlier version and does not record its classes, input shape and normalisation. " +
                "Train again to get a self-describing checkpoint.");
        return header;
    }

    /// <summary>The network of <paramref name="checkpointPath"/> (described by its <paramref name="header"/>) with its trained weights.</summary>
    public static BranchNetwork Load(string checkpointPath, CheckpointHeader header, IBackbone backbone, ITrainingMethod method)
    {
        var network = Create(header, backbone, method);
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

    /// <summary>An untrained network of the shape <paramref name="header"/> describes.</summary>
    public static BranchNetwork Create(CheckpointHeader header, IBackbone backbone, ITrainingMethod method)
    {
        var data = header.Data ?? throw new ArgumentException("The header records no training data.", nameof(header));
        var head = header.Classifier == ClassifierHeadNames.Cosine ? ClassifierHead.Cosine : ClassifierHead.Linear;
        return MethodNetworks.Build(method, backbone.Build(data.Shape), data.ClassNames.Count, head);
    }
}
