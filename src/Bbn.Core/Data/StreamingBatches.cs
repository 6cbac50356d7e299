using System.Collections.Concurrent;
using System.Diagnostics;
using System.Runtime.ExceptionServices;
using System.Threading.Channels;
using static TorchSharp.torch;

namespace Bbn.Core.Data;

/// <summary>
/// Batches of encoded image files. Knowing the epoch's index sequences, a background producer
/// decodes and augments every branch's images of each upcoming step in parallel (all cores by
/// default) into uint8 buffers and queues them in a bounded channel (Bbn:Dataset:Prefetch steps),
/// so the training step only moves a ready buffer to the device and normalises it there. Memory
/// stays bounded by the prefetch depth, whatever the dataset's size.
/// </summary>
public sealed class StreamingBatches : ITrainingBatches
{
    private readonly ImageFileSet train;
    private readonly BatchAugmenter augmenter;
    private readonly int batchSize;   // the step's global batch
    private readonly int localSize;   // this rank's images of it
    private readonly int localOffset;
    private readonly int seed;
    private readonly Device device;
    private readonly ConcurrentBag<byte[]> buffers = new();
    private Prefetch? current;

    public StreamingBatches(ImageFileSet train, BatchAugmenter augmenter, int batchSize, int seed, Device device)
        : this(train, augmenter, batchSize, seed, device, Distributed.Shard.Whole)
    {
    }

    /// <summary>The batches of <paramref name="shard"/>'s images of each global batch (their per-image seeds are the whole batch's).</summary>
    public StreamingBatches(ImageFileSet train, BatchAugmenter augmenter, int batchSize, int seed, Device device, Distributed.Shard shard)
    {
        this.train = train;
        this.augmenter = augmenter;
        this.batchSize = batchSize;
        localSize = shard.Length(batchSize);
        localOffset = shard.Offset(batchSize);
        this.seed = seed;
        this.device = device;
    }

    /// <summary>How long <see cref="Take"/> has waited for the producer in total (zero when decoding keeps up).</summary>
    public TimeSpan Waited { get; private set; }

    /// <summary>Steps taken ready-made from the prefetch queue.</summary>
    public long PrefetchedSteps { get; private set; }

    public void BeginEpoch(EpochPlan plan, int firstStep, int steps)
    {
        Stop();
        var channel = Channel.CreateBounded<PreparedStep>(new BoundedChannelOptions(Math.Max(1, train.Options.Prefetch))
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var cancel = new CancellationTokenSource();
        var producer = Task.Run(async () =>
        {
            try
            {
                for (int step = firstStep; step < steps; step++)
                {
                    var prepared = Prepare(plan, step, cancel.Token);
                    await channel.Writer.WriteAsync(prepared, cancel.Token).ConfigureAwait(false);
                }
                channel.Writer.TryComplete();
            }
            catch (OperationCanceledException)
            {
                channel.Writer.TryComplete();
            }
            catch (Exception e)
            {
                channel.Writer.TryComplete(e);
            }
        });
        current = new Prefetch(plan, firstStep, channel, cancel, producer);
    }

    public StepBatches Take(EpochPlan plan, int stepInEpoch)
    {
        PreparedStep prepared;
        if (current is { } prefetch && ReferenceEquals(prefetch.Plan, plan) && prefetch.NextStep == stepInEpoch)
        {
            var watch = Stopwatch.StartNew();
            prepared = Read(prefetch);
            Waited += watch.Elapsed;
            prefetch.NextStep++;
            PrefetchedSteps++;
        }
        else
        {
            prepared = Prepare(plan, stepInEpoch, CancellationToken.None);
        }
        return OnDevice(prepared);
    }

    private static PreparedStep Read(Prefetch prefetch)
    {
        try
        {
            return prefetch.Channel.Reader.ReadAsync().AsTask().GetAwaiter().GetResult();
        }
        catch (ChannelClosedException e) when (e.InnerException is not null)
        {
            ExceptionDispatchInfo.Capture(e.InnerException).Throw();
            throw;
        }
    }

    /// <summary>Decodes and augments every branch's images of one step in parallel.</summary>
    private PreparedStep Prepare(EpochPlan plan, int step, CancellationToken cancellation)
    {
        int branches = plan.Orders.Count;
        int bytes = train.ImageBytes;
        var pixels = new byte[branches][];
        var labels = new int[branches][];
        var seeds = new int[branches][];
        for (int b = 0; b < branches; b++)
        {
            pixels[b] = Rent();
            labels[b] = new int[localSize];
            var random = SeedStreams.Random(seed, plan.AugmentStreams[b], plan.Epoch, step);
            seeds[b] = Enumerable.Range(0, batchSize).Select(_ => random.Next()).ToArray();
        }
        var options = new ParallelOptions { MaxDegreeOfParallelism = train.Options.EffectiveWorkers, CancellationToken = cancellation };
        Parallel.For(0, branches * localSize, options, i =>
        {
            int b = i / localSize, j = i % localSize;
            int index = plan.Orders[b][(step * batchSize) + localOffset + j];
            labels[b][j] = train.RenderTrain(index, seeds[b][localOffset + j], pixels[b].AsSpan(j * bytes, bytes));
        });
        return new PreparedStep(step, pixels, labels);
    }

    private StepBatches OnDevice(PreparedStep prepared)
    {
        var images = new Tensor[prepared.Pixels.Length];
        var labels = new Tensor[prepared.Pixels.Length];
        for (int b = 0; b < images.Length; b++)
        {
            using (var cpu = tensor(prepared.Pixels[b], [localSize, 3, train.Recipe.Size, train.Recipe.Size]))
            using (var moved = HostToDevice.Copy(cpu, device))
            {
                images[b] = augmenter.Normalize(moved); // a new float tensor: the buffer is free again
            }
            buffers.Add(prepared.Pixels[b]);
            using var hostLabels = tensor(prepared.Labels[b].Select(l => (long)l).ToArray());
            labels[b] = HostToDevice.Copy(hostLabels, device);
        }
        return new StepBatches(images, labels);
    }

    private byte[] Rent() => buffers.TryTake(out var buffer) ? buffer : new byte[(long)localSize * train.ImageBytes];

    private void Stop()
    {
        if (current is not { } prefetch) return;
        current = null;
        prefetch.Cancel.Cancel();
        while (prefetch.Channel.Reader.TryRead(out _))
        {
            // Drop prepared steps so that a producer waiting on a full channel ends.
        }
        try
        {
            prefetch.Producer.Wait();
        }
        catch (AggregateException)
        {
            // The producer reports its failure through the channel; nothing is waiting for it now.
        }
        prefetch.Cancel.Dispose();
    }

    public void Dispose() => Stop();

    private sealed record PreparedStep(int Step, byte[][] Pixels, int[][] Labels);

    private sealed class Prefetch(EpochPlan plan, int firstStep, Channel<PreparedStep> channel, CancellationTokenSource cancel, Task producer)
    {
        public EpochPlan Plan { get; } = plan;
        public int NextStep { get; set; } = firstStep;
        public Channel<PreparedStep> Channel { get; } = channel;
        public CancellationTokenSource Cancel { get; } = cancel;
        public Task Producer { get; } = producer;
    }
}
