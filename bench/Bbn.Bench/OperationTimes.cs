using Bbn.Abstractions;
using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

/// <summary>
/// `Bbn.Bench --ops`: the layers of a CIFAR ResNet-32 step one by one (3x3 convolution, batch norm,
/// ReLU, residual add at each stage's shape, batch 128), forward and forward + backward, in ms;
/// bench/pytorch/operation_times.py prints the same lines for PyTorch.
/// </summary>
internal static class OperationTimes
{
    private static readonly (int In, int Out, int Side, int Stride)[] Shapes = [(16, 16, 32, 1), (16, 32, 32, 2), (32, 32, 16, 1), (32, 64, 16, 2), (64, 64, 8, 1)];

    public static void Print(bool channelsLast, int batch)
    {
        manual_seed(0);
        foreach (var (inputs, outputs, side, stride) in Shapes)
        {
            using var scope = NewDisposeScope();
            var conv = nn.Conv2d(inputs, outputs, kernel_size: 3, stride: stride, padding: 1, bias: false);
            var bn = new Bbn.Abstractions.Modules.SafeBatchNorm2d(outputs);
            var x = randn(batch, inputs, side, side);
            if (channelsLast)
            {
                x = ToChannelsLast(x);
                conv.weight = new TorchSharp.Modules.Parameter(ToChannelsLast(conv.weight!.detach()));
            }
            x.requires_grad_(true);
            Tensor g;
            using (no_grad()) g = randn_like(conv.forward(x));
            if (channelsLast) g = ToChannelsLast(g);
            var y = g.detach().clone().requires_grad_(true);
            string line = $"{inputs}->{outputs}@{side}/s{stride}: " +
                $"conv f {Time(() => { using (no_grad()) conv.forward(x); }):F2} f+b {Time(() => conv.forward(x).backward([g])):F2} | " +
                $"bn f {Time(() => bn.forward(y)):F2} f+b {Time(() => bn.forward(y).backward([g])):F2} | " +
                $"relu f {Time(() => nn.functional.relu(y)):F2} f+b {Time(() => nn.functional.relu(y).backward([g])):F2} | " +
                $"add {Time(() => { using var sum = y.detach().add(g, Scalars.One); }):F2} ms";
            Console.WriteLine(line);
        }
    }

    /// <summary>The same values with NHWC strides (PyTorch's torch.channels_last).</summary>
    public static Tensor ToChannelsLast(Tensor nchw) => nchw.permute(0, 2, 3, 1).contiguous().permute(0, 3, 1, 2);

    private static double Time(Action operation, int repeats = 20)
    {
        for (int i = 0; i < 3; i++) using (NewDisposeScope()) operation();
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < repeats; i++) using (NewDisposeScope()) operation();
        return watch.Elapsed.TotalMilliseconds / repeats;
    }
}

/// <summary>
/// `Bbn.Bench --ab=N`: the BBN network's training step (both branches' forward, classifier, loss,
/// backward) and its inference (alpha = 0.5, batch 500) with NCHW and with channels-last inputs,
/// alternated in one process so that the machine's noise falls on both alike; prints median ms.
/// </summary>
internal static class LayoutComparison
{
    public static void Print(Bbn.Core.Model.BranchNetwork network, int channels, int batch, int repeats)
    {
        manual_seed(0);
        using var xc = randn(batch, channels, 32, 32);
        using var xr = randn(batch, channels, 32, 32);
        using var yc = randint(0, 10, batch);
        using var yr = randint(0, 10, batch);
        using var test = randn(500, channels, 32, 32);
        Compare($"BBN training step forward+backward, batch {batch}", network, repeats, () =>
        {
            network.train();
            using Scalar alpha = 0.7.ToScalar(), rest = 0.3.ToScalar(), two = 2.ToScalar();
            var f = cat([network.Features(0, xc).mul(alpha), network.Features(1, xr).mul(rest)], 1).mul(two);
            var z = network.Classify(f);
            var loss = nn.functional.cross_entropy(z, yc).mul(alpha).add(nn.functional.cross_entropy(z, yr).mul(rest), Scalars.One);
            network.zero_grad();
            loss.backward();
        });
        Compare("BBN inference, batch 500", network, repeats, () =>
        {
            network.eval();
            using var inference = inference_mode();
            network.call(test).argmax(1);
        });
    }

    private static void Compare(string what, Bbn.Core.Model.BranchNetwork network, int repeats, Action step)
    {
        var times = new Dictionary<bool, List<double>> { [false] = [], [true] = [] };
        for (int i = 0; i < repeats + 2; i++)
        {
            foreach (bool channelsLast in new[] { i % 2 == 0, i % 2 != 0 })
            {
                network.ChannelsLast = channelsLast;
                var watch = Stopwatch.StartNew();
                using (NewDisposeScope()) step();
                if (i >= 2) times[channelsLast].Add(watch.Elapsed.TotalMilliseconds);
            }
        }
        double Median(List<double> v) => v.Order().ElementAt(v.Count / 2);
        Console.WriteLine($"{what}: NCHW {Median(times[false]):F1} ms, channels-last {Median(times[true]):F1} ms (median of {repeats})");
    }
}
