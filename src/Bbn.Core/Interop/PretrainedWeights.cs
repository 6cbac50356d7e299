using System.Collections;
using Bbn.Abstractions;
using Bbn.Core.Model;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Bbn.Core.Interop;

/// <summary>What starting from a pretrained file did, for the log.</summary>
/// <param name="Loaded">The file's tensors copied into the network (a branch block's count once).</param>
/// <param name="Ignored">The file's tensors left out on purpose (its classifier).</param>
/// <param name="Missing">The backbone's tensors the file did not have (non-strict only), kept as initialised.</param>
/// <param name="Unused">The file's tensors with no place in the backbone (non-strict only).</param>
/// <param name="SummedStem">The file's three-channel stem was summed over its input channels for one-channel images.</param>
public sealed record PretrainedReport(int Loaded, int Ignored, IReadOnlyList<string> Missing, IReadOnlyList<string> Unused, bool SummedStem);

/// <summary>
/// Starts a backbone from a model zoo's weights: a state_dict saved by torch.save (.pth, .pt) or a safetensors file, whose names the
/// backbone's <see cref="IPretrainedLayout"/> places in the trunk and in every branch's block (BBN's two copies of the last block both
/// start from the file's). The classifier stays freshly initialised for the data set's classes.
/// </summary>
public static class PretrainedWeights
{
    private const string Setting = "Bbn:Backbone:Pretrained";

    public static PretrainedReport Apply(BranchNetwork network, IPretrainedLayout? layout, string backboneName, string path, bool strict)
    {
        if (layout is null)
            throw new InvalidDataException($"{Setting} = '{path}': backbone '{backboneName}' has no twin in torchvision or timm to load from; use resnet18 or resnet50, or drop the setting.");
        var file = Read(path);
        try
        {
            return Place(network, layout, path, file, strict);
        }
        finally
        {
            foreach (var t in file.Values) t.Dispose();
        }
    }

    /// <summary>The file's tensors by name (a DataParallel "module." prefix removed).</summary>
    public static Dictionary<string, Tensor> Read(string path)
    {
        string full = Path.GetFullPath(path);
        if (!File.Exists(full)) throw new FileNotFoundException($"{Setting} = '{path}': {full} does not exist.", full);
        var tensors = new Dictionary<string, Tensor>();
        try
        {
            if (full.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase))
            {
                foreach (var (name, tensor) in Safetensors.LoadStateDict(full)) tensors[Unprefixed(name)] = tensor;
            }
            else
            {
                using var stream = File.OpenRead(full);
                foreach (DictionaryEntry entry in PyTorchUnpickler.UnpickleStateDict(stream))
                    if (entry.Value is Tensor t) tensors[Unprefixed((string)entry.Key)] = t;
            }
        }
        catch (Exception e) when (e is not FileNotFoundException)
        {
            foreach (var t in tensors.Values) t.Dispose();
            throw new InvalidDataException($"{Setting} = '{path}' is neither a state_dict saved with torch.save(model.state_dict(), path) nor a safetensors file: {e.Message}", e);
        }
        if (tensors.Count == 0) throw new InvalidDataException($"{Setting} = '{path}' holds no tensors.");
        return tensors;
    }

    private static PretrainedReport Place(BranchNetwork network, IPretrainedLayout layout, string path, Dictionary<string, Tensor> file, bool strict)
    {
        var trunk = network.Trunk.state_dict();
        var branches = Enumerable.Range(0, network.BranchCount).Select(b => network.Branch(b).state_dict()).ToArray();
        var plan = new List<(string FileName, Tensor Source, Tensor[] Targets)>();
        var unused = new List<string>();
        var shapes = new List<string>();
        var covered = new HashSet<string>();
        int ignored = 0;
        bool summedStem = false;
        foreach (var (name, source) in file.OrderBy(kv => kv.Key, StringComparer.Ordinal))
        {
            var place = layout.Place(name);
            if (place is { Part: PretrainedPart.Ignored }) { ignored++; continue; }
            Tensor[]? targets = place?.Part switch
            {
                PretrainedPart.Trunk when trunk.TryGetValue(place.Name, out var t) => [t],
                PretrainedPart.Branch when branches.All(b => b.ContainsKey(place.Name)) => [.. branches.Select(b => b[place.Name])],
                _ => null,
            };
            if (targets is null) { unused.Add(name); continue; }
            var value = source;
            if (IsStem(place!, targets[0], source))
            {
                value = source.sum(1, keepdim: true); // one-channel images: the three input channels' filters summed
                summedStem = true;
            }
            if (!targets[0].shape.SequenceEqual(value.shape))
            {
                shapes.Add($"{name} [{string.Join(", ", value.shape)}] where the network has [{string.Join(", ", targets[0].shape)}]");
                continue;
            }
            covered.Add($"{place!.Part}:{place.Name}");
            plan.Add((name, value, targets));
        }
        var missing = trunk.Keys.Where(k => !covered.Contains($"{PretrainedPart.Trunk}:{k}"))
            .Concat(branches[0].Keys.Where(k => !covered.Contains($"{PretrainedPart.Branch}:{k}")).Select(k => "(branch) " + k)).ToList();
        if (shapes.Count > 0)
            throw new InvalidDataException($"{Setting} = '{path}': {shapes.Count} tensors have another shape than this backbone's: {Describe(shapes)}. Choose the file of the same architecture (resnet18's for resnet18, resnet50's for resnet50).");
        if (strict && (missing.Count > 0 || unused.Count > 0))
            throw new InvalidDataException(
                $"{Setting} = '{path}' does not match the backbone: missing {Describe(missing)}; unexpected {Describe(unused)}. " +
                "Choose the torchvision or timm file of the same ResNet, or set Bbn:Backbone:PretrainedStrict=false to load what matches and keep the rest as initialised.");
        using (no_grad())
        {
            foreach (var (_, source, targets) in plan)
                foreach (var target in targets) target.copy_(source.to(target.dtype).to(target.device));
        }
        foreach (var (_, source, _) in plan) if (!file.ContainsValue(source)) source.Dispose();
        return new PretrainedReport(plan.Count, ignored, missing, unused, summedStem);
    }

    private static bool IsStem(PretrainedPlace place, Tensor target, Tensor source) =>
        place.Part == PretrainedPart.Trunk && place.Name.EndsWith("conv1.weight", StringComparison.Ordinal) && place.Name.StartsWith("stem.", StringComparison.Ordinal)
        && target.dim() == 4 && source.dim() == 4 && target.shape[1] == 1 && source.shape[1] == 3;

    private static string Unprefixed(string name) => name.StartsWith("module.", StringComparison.Ordinal) ? name["module.".Length..] : name;

    private static string Describe(List<string> names) =>
        names.Count == 0 ? "none" : string.Join(", ", names.Take(5)) + (names.Count > 5 ? $" and {names.Count - 5} more ({names.Count} in all)" : "");
}
