using System.Security.Cryptography;
using System.Text;
using Bbn.Core.Distributed;
using Bbn.Hosting.Composition;
using Bbn.Hosting.Plugins;
using Microsoft.Extensions.Configuration;

namespace Bbn.Hosting.Distributed;

/// <summary>
/// Refuses a data-parallel run whose ranks were started differently: every rank hashes its effective
/// Bbn configuration and its plugin assemblies (by name and SHA-256), the digests are gathered and
/// compared with rank 0's before anything is loaded.
/// </summary>
public static class RunConsistency
{
    /// <summary>Throws on every rank, naming the ranks that differ from rank 0, unless all were started alike; a single process has nothing to compare (and hashes nothing).</summary>
    public static void Check(IProcessGroup group, IConfiguration configuration)
    {
        if (group.Size > 1) Check(group, Digest(configuration));
    }

    public static byte[] Digest(IConfiguration configuration)
    {
        var text = new StringBuilder(ConfigurationJson.Serialize(configuration.GetSection(BbnOptions.Section)));
        var plugins = PluginOptions.From(configuration);
        foreach (string assembly in PluginKernel.Assemblies(plugins.SearchedDirectories, AppContext.BaseDirectory).OrderBy(Path.GetFileName, StringComparer.Ordinal))
            text.Append('\n').Append(Path.GetFileName(assembly)).Append(' ').Append(PluginKernel.Hash(assembly));
        return SHA256.HashData(Encoding.UTF8.GetBytes(text.ToString()));
    }

    /// <summary>Throws on every rank, naming the ranks that differ from rank 0, unless all digests are equal.</summary>
    public static void Check(IProcessGroup group, byte[] digest)
    {
        if (group.Size == 1) return;
        var all = group.AllGather(digest);
        var differing = Enumerable.Range(1, group.Size - 1).Where(r => !all[r].AsSpan().SequenceEqual(all[0])).ToArray();
        if (differing.Length == 0) return;
        throw new DistributedException(
            $"Rank(s) {string.Join(", ", differing)} of {group.Size} were started with other settings or plugins than rank 0 " +
            $"(configuration and plugin digest {Convert.ToHexStringLower(all[differing[0]])[..12]} against {Convert.ToHexStringLower(all[0])[..12]}): " +
            "start every rank with the same arguments, appsettings.json and plugins folder.");
    }
}
