using Bbn.Abstractions;
using Bbn.Core.Data;
using Bbn.Core.Evaluation;
using Bbn.Core.Model;
using Bbn.Core.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace Bbn.Core.Inference;

/// <summary>One of an image's top-k classes.</summary>
public sealed record Prediction(int ClassIndex, string ClassName, double Probability);

/// <summary>
/// A trained network rebuilt from its checkpoint alone (no dataset): the method's inference (for BBN
/// the method's inference over its branches), the loss's inference adjustment, softmax, top-k.
/// </summary>
public sealed class Predictor : IDisposable
{
    private readonly BranchNetwork network;
    private readonly BatchAugmenter preprocessing;
    private readonly ILoss loss;
    private readonly CheckpointHeader header;

    private Predictor(BranchNetwork network, BatchAugmenter preprocessing, ILoss loss, CheckpointHeader header, Device device)
    {
        this.network = network;
        this.preprocessing = preprocessing;
        this.loss = loss;
        this.header = header;
        Device = device;
    }

    public TrainingData Data => header.Data!;
    public CheckpointHeader Header => header;
    public BranchNetwork Network => network;

    /// <summary>The inference knobs predictions use (<see cref="PostHocSettings.Identity"/>: the network as trained).</summary>
    public PostHocSettings Settings { get; private init; } = PostHocSettings.Identity;
    public Device Device { get; }

    /// <summary>
    /// Rebuilds the network of <paramref name="checkpointPath"/> with the <paramref name="backbone"/> and <paramref name="method"/> it was
    /// trained with; <paramref name="applyTuned"/>: with the inference knobs it records as tuned on the validation split (Bbn:PostHoc:Apply).
    /// </summary>
    public static Predictor Load(string checkpointPath, IBackbone backbone, ITrainingMethod method, ILoss loss, Device device, bool applyTuned = true)
    {
        var header = NetworkFactory.ReadHeaderWithData(checkpointPath);
        var network = NetworkFactory.Load(checkpointPath, header, backbone, method);
        try
        {
            network.to(device);
            network.eval();
            var data = header.Data!;
            var preprocessing = new BatchAugmenter(data.Normalization, data.Shape.Channels, device, padding: 0, flip: false);
            return new Predictor(network, preprocessing, loss, header, device) { Settings = applyTuned ? header.Tuned ?? PostHocSettings.Identity : PostHocSettings.Identity };
        }
        catch
        {
            network.Dispose();
            throw;
        }
    }

    /// <summary>The <paramref name="top"/> most probable classes of each uint8 image [N, C, H, W] of the training shape.</summary>
    public IReadOnlyList<Prediction[]> Predict(Tensor images, int top)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var inputs = preprocessing.Normalize(images.to(Device));
        var context = new LossContext(Data.ClassCounts, header.Epochs, header.Epochs);
        var logits = new PostHocLogits(network, Data.ClassCounts, l => loss.AdjustForInference(l, context)).Of(inputs, Settings);
        int k = Math.Min(top, Data.ClassNames.Count);
        var (probabilities, indices) = nn.functional.softmax(logits, 1).topk(k, dim: 1);
        float[] p = probabilities.cpu().data<float>().ToArray();
        long[] c = indices.cpu().data<long>().ToArray();
        var result = new Prediction[images.shape[0]][];
        for (int n = 0; n < result.Length; n++)
        {
            result[n] = new Prediction[k];
            for (int j = 0; j < k; j++)
            {
                int index = (int)c[(n * k) + j];
                result[n][j] = new Prediction(index, Data.ClassNames[index], p[(n * k) + j]);
            }
        }
        return result;
    }

    public void Dispose()
    {
        preprocessing.Dispose();
        network.Dispose();
    }
}
