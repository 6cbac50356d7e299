using TorchSharp;

namespace Bbn.Abstractions;

/// <summary>
/// Scalars that live as long as the process, for the native calls that take one where TorchSharp's shorter overload would
/// make a temporary (<c>a.add(b)</c> is <c>a.add(b, 1)</c> with a Scalar nothing keeps alive: pass <see cref="One"/>). (Contracts 1.7.)
/// </summary>
public static class Scalars
{
    /// <summary>1, as the alpha of <c>add</c> and the value of <c>addcdiv</c>.</summary>
    public static Scalar One { get; } = 1.0.ToScalar();

    /// <summary>1 as an integer, the alpha libtorch requires when both sides of <c>add</c> are integer tensors.</summary>
    public static Scalar IntegerOne { get; } = 1L.ToScalar();
}
