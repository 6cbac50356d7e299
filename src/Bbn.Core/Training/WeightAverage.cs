using Bbn.Core.Model;
using TorchSharp;
using static TorchSharp.torch;

namespace Bbn.Core.Training;

/// <summary>
/// An exponential moving average of a network's weights (Polyak averaging, as timm's ModelEmaV2):
/// after every optimiser step avg = decay * avg + (1 - decay) * w for each parameter; buffers (batch
/// norm statistics) are copied. Evaluated by swapping it into the network and back.
/// </summary>
public sealed class WeightAverage : IDisposable
{
    private readonly BranchNetwork network;
    private readonly double decay;
    private readonly (string Name, Tensor Source, Tensor Average, bool IsParameter)[] entries;

    public WeightAverage(BranchNetwork network, double decay)
    {
        this.network = network;
        this.decay = decay;
        using var _ = no_grad();
        var parameters = network.named_parameters().Select(p => (p.name, (Tensor)p.parameter, true));
        var buffers = network.named_buffers().Select(b => (b.name, b.buffer, false));
        entries = parameters.Concat(buffers).Select(e => (e.Item1, e.Item2, e.Item2.detach().clone(), e.Item3)).ToArray();
    }

    public double Decay => decay;

    /// <summary>Moves the average one step towards the network's current weights.</summary>
    public void Update()
    {
        using var _ = no_grad();
        using Scalar kept = decay.ToScalar(), added = (1 - decay).ToScalar();
        foreach (var (_, source, average, isParameter) in entries)
        {
            if (isParameter && source.is_floating_point()) average.mul_(kept).add_(source, alpha: added);
            else average.copy_(source);
        }
    }

    /// <summary>Runs <paramref name="action"/> with the averaged weights in the network, then puts the raw weights back.</summary>
    public T WithAverage<T>(Func<T> action)
    {
        var saved = new Tensor[entries.Length];
        using (no_grad())
        {
            for (int i = 0; i < entries.Length; i++)
            {
                saved[i] = entries[i].Source.detach().clone();
                entries[i].Source.copy_(entries[i].Average);
            }
        }
        try
        {
            return action();
        }
        finally
        {
            using (no_grad())
            {
                for (int i = 0; i < entries.Length; i++)
                {
                    entries[i].Source.copy_(saved[i]);
                    saved[i].Dispose();
                }
            }
        }
    }

    public void Save(BinaryWriter writer)
    {
        writer.Write(entries.Length);
        foreach (var (name, _, average, _) in entries)
        {
            writer.Write(name);
            average.Save(writer);
        }
    }

    public void Load(BinaryReader reader)
    {
        int count = reader.ReadInt32();
        var byName = entries.ToDictionary(e => e.Name, e => e.Average);
        for (int i = 0; i < count; i++)
        {
            string name = reader.ReadString();
            if (!byName.TryGetValue(name, out var average))
                throw new InvalidDataException($"The checkpoint's weight average holds '{name}', which this network does not have.");
            average.Load(reader);
        }
    }

    public void Dispose()
    {
        foreach (var entry in entries) entry.Average.Dispose();
    }
}
