namespace Bbn.Framework.Tests;

/// <summary>
/// One tiny BBN run on real Fashion-MNIST images (2,000 training, 500 test), trained once for the
/// tests that use a finished run (predict, export, import).
/// </summary>
public sealed class TrainedRunFixture : IAsyncLifetime
{
    public string Root { get; } = Directory.CreateTempSubdirectory("bbn-trained-").FullName;
    public string Data => Path.Combine(Root, "data");
    public string RunPath => Path.Combine(Root, "runs", "bbn");

    public string[] Settings(params string[] extra) =>
    [
        $"--Bbn:Dataset:Root={Data}",
        $"--Bbn:Training:OutputDirectory={Path.Combine(Root, "runs")}",
        "--Bbn:Training:RunName=bbn",
        "--Bbn:Training:Epochs=1",
        "--Bbn:Training:BatchSize=16",
        "--Bbn:Training:MaxStepsPerEpoch=3",
        "--Bbn:Training:WarmupEpochs=1",
        .. extra,
    ];

    public async ValueTask InitializeAsync()
    {
        FashionMnistFiles.WriteSubset(Data, trainImages: 2000, testImages: 500);
        var (code, _, error) = await AppRunner.Run(["train", .. Settings()]);
        if (code != 0) throw new InvalidOperationException($"The fixture's training run failed ({code}): {error}");
    }

    public ValueTask DisposeAsync()
    {
        Directory.Delete(Root, recursive: true);
        return ValueTask.CompletedTask;
    }
}
