using Bbn.Abstractions;

namespace Bbn.Core.Model;

/// <summary>Bbn:Training:Classifier: auto (the loss's preference), linear or cosine.</summary>
public static class ClassifierHeadNames
{
    public const string Auto = "auto";
    public const string Linear = "linear";
    public const string Cosine = "cosine";
    public static readonly string[] All = [Auto, Linear, Cosine];

    public static bool IsValid(string? name) => All.Contains(name);

    /// <summary>The head for a validated setting; "auto" takes <paramref name="preferred"/>.</summary>
    public static ClassifierHead Resolve(string? name, ClassifierHead preferred) => name switch
    {
        Linear => ClassifierHead.Linear,
        Cosine => ClassifierHead.Cosine,
        _ => preferred,
    };

    public static string Name(this ClassifierHead head) => head == ClassifierHead.Cosine ? Cosine : Linear;
}
