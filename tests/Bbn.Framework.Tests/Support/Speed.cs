namespace Bbn.Framework.Tests;

/// <summary>
/// The trait that marks test classes taking seconds (whole runs, processes, builds):
/// <c>dotnet test --filter "Speed!=slow"</c> runs the fast unit tests alone.
/// </summary>
internal static class Speed
{
    public const string Name = "Speed";
    public const string Slow = "slow";
}
