using System.Collections;
using System.Text.RegularExpressions;
using Bbn.Core.Model;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Bbn.Core.Interop;

/// <summary>
/// The network's weights as a PyTorch state_dict (torch.save zip format, through TorchSharp.PyBridge)
/// under the parameter names of the official BBN code (Megvii-Nanjing/BBN lib/net/network.py):
/// trunk.X -> backbone.X; the blocks of a two-branch network's first and second branch -> backbone.cb_block.X /
/// backbone.rb_block.X (BBN's layout), a single branch's block -> the next block of the trunk's last stage (as
/// res32_cifar has it); classifier.* as is
/// (a cosine head is stored [classes, features] as the official FCNorm holds it).
/// </summary>
public static partial class OfficialBbnWeights
{
    private const string DataParallelPrefix = "module.";

    /// <summary>Our state_dict name -> the official name, for every entry of <paramref name="network"/>.</summary>
    public static IReadOnlyDictionary<string, string> NameMap(BranchNetwork network)
    {
        var names = network.state_dict().Keys.ToList();
        string? lastStageBlock = null;
        if (network.BranchCount != 2)
        {
            var last = names.Select(n => TrunkBlock().Match(n)).Where(m => m.Success)
                .Select(m => (Stage: int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), Block: int.Parse(m.Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture)))
                .OrderBy(x => x.Stage).ThenBy(x => x.Block).LastOrDefault();
            lastStageBlock = last == default ? "cb_block" : $"layer{last.Stage}.{last.Block + 1}";
        }
        // The official layout by branch position: the first branch's block, then the second's.
        string[] officialBlocks = network.BranchCount == 2 ? ["cb_block", "rb_block"] : [lastStageBlock!];
        var map = new Dictionary<string, string>();
        foreach (string name in names)
        {
            int branch = BranchOf(network, name);
            map[name] = name switch
            {
                _ when name.StartsWith("trunk.", StringComparison.Ordinal) => "backbone." + name["trunk.".Length..],
                _ when branch >= 0 && branch < officialBlocks.Length => $"backbone.{officialBlocks[branch]}.{BlockParameter(name)}",
                _ => name,
            };
        }
        return map;
    }

    /// <summary>Writes the network's weights for PyTorch's torch.load / load_state_dict.</summary>
    public static void Export(BranchNetwork network, string path)
    {
        var map = NameMap(network);
        var state = network.state_dict();
        var official = new Dictionary<string, Tensor>();
        using var scope = NewDisposeScope();
        foreach (var (name, value) in state)
        {
            var tensor = value.detach().cpu();
            if (IsCosineWeight(network, name)) tensor = tensor.t();
            official[map[name]] = tensor.contiguous();
        }
        string temporary = path + ".tmp";
        using (var stream = File.Create(temporary))
        {
            PyTorchPickler.PickleStateDict(stream, official);
        }
        File.Move(temporary, path, overwrite: true);
    }

    /// <summary>
    /// Loads a state_dict saved by PyTorch (official names, an optional DataParallel "module." prefix)
    /// into <paramref name="network"/>; every entry must be present with the right shape.
    /// </summary>
    public static void Import(BranchNetwork network, string path)
    {
        Hashtable loaded;
        try
        {
            using var stream = File.OpenRead(path);
            loaded = PyTorchUnpickler.UnpickleStateDict(stream);
        }
        catch (Exception e) when (e is not FileNotFoundException)
        {
            throw new InvalidDataException(
                $"{path} is not a PyTorch state_dict saved with torch.save(model.state_dict(), path) (zip format): {e.Message}", e);
        }
        var byOfficialName = new Dictionary<string, Tensor>();
        foreach (DictionaryEntry entry in loaded)
        {
            string key = (string)entry.Key;
            if (key.StartsWith(DataParallelPrefix, StringComparison.Ordinal)) key = key[DataParallelPrefix.Length..];
            if (entry.Value is Tensor t) byOfficialName[key] = t;
        }
        try
        {
            var map = NameMap(network);
            var missing = map.Where(kv => !byOfficialName.ContainsKey(kv.Value)).Select(kv => kv.Value).ToList();
            var unexpected = byOfficialName.Keys.Except(map.Values).ToList();
            if (missing.Count > 0 || unexpected.Count > 0)
                throw new InvalidDataException(
                    $"{path} does not match this network: missing {Describe(missing)}; unexpected {Describe(unexpected)}. " +
                    "Export a model of the same backbone, method (bbn or single-branch), classifier and class count.");
            var state = network.state_dict();
            using var noGrad = no_grad();
            foreach (var (name, official) in map)
            {
                var source = byOfficialName[official];
                if (IsCosineWeight(network, name)) source = source.t();
                var target = state[name];
                if (!target.shape.SequenceEqual(source.shape))
                    throw new InvalidDataException(
                        $"{path}: {official} has shape [{string.Join(", ", source.shape)}], the network expects [{string.Join(", ", target.shape)}].");
                target.copy_(source.to(target.dtype).to(target.device));
            }
        }
        finally
        {
            foreach (var t in byOfficialName.Values) t.Dispose();
        }
    }

    private static bool IsCosineWeight(BranchNetwork network, string name) =>
        network.Head == Bbn.Abstractions.ClassifierHead.Cosine && name == "classifier.weight";

    /// <summary>The index of the branch whose block holds <paramref name="name"/>, or -1.</summary>
    private static int BranchOf(BranchNetwork network, string name)
    {
        for (int b = 0; b < network.BranchNames.Count; b++)
            if (name.StartsWith(network.BranchNames[b] + ".", StringComparison.Ordinal)) return b;
        return -1;
    }

    /// <summary>NAME.block.conv1.weight -> conv1.weight (the branch's block, whatever its field is called).</summary>
    private static string BlockParameter(string name) => BranchBlock().Match(name) is { Success: true } m ? m.Groups[1].Value : name[(name.IndexOf('.', StringComparison.Ordinal) + 1)..];

    private static string Describe(List<string> names) => names.Count == 0 ? "none" : string.Join(", ", names.Take(5)) + (names.Count > 5 ? $" and {names.Count - 5} more" : "");

    [GeneratedRegex(@"^trunk\.layer(\d+)\.(\d+)\.")]
    private static partial Regex TrunkBlock();

    [GeneratedRegex(@"^[^.]+\.[^.]+\.(.+)$")]
    private static partial Regex BranchBlock();
}
