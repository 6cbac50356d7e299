namespace Bbn.Framework.Tests;

/// <summary>Tests that touch libtorch's global state (seed, threads) run one at a time.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TorchCollection
{
    public const string Name = "torch";
}
