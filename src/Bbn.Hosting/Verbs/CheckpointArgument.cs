using Bbn.Core.Runs;

namespace Bbn.Hosting.Verbs;

/// <summary>A verb's checkpoint argument: a checkpoint.bbn, or a run directory that holds one.</summary>
internal static class CheckpointArgument
{
    public static string Resolve(string? setting, string verb, string key)
    {
        if (string.IsNullOrWhiteSpace(setting))
            throw new ArgumentException($"{verb} needs a checkpoint: pass a run directory or its checkpoint.bbn ({VerbArguments.Usage(verb)}; or --{key}=<path>).");
        string path = Directory.Exists(setting) ? Path.Combine(setting, RunDirectory.CheckpointFile) : setting;
        if (!File.Exists(path))
            throw new FileNotFoundException($"{key} = '{setting}': {Path.GetFullPath(path)} does not exist. Give a run directory or its checkpoint.bbn.", path);
        return Path.GetFullPath(path);
    }
}
