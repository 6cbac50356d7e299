namespace Bbn.Hosting.Verbs;

/// <summary>
/// Turns a verb's command line into configuration settings: --Section:Key=value passes through;
/// positional arguments and the short flags (--json, --top N, --recipe NAME, --seeds N, --baseline NAME) become the verb's settings.
/// </summary>
public static class VerbArguments
{
    /// <summary>The settings for <paramref name="verb"/>; throws <see cref="ArgumentException"/> with a usage hint for what it cannot place.</summary>
    public static string[] ToSettings(string verb, string[] args)
    {
        var keys = VerbTable.Find(verb)!.Positional;
        var settings = new List<string>();
        int position = 0, inputs = 0;
        for (int i = 0; i < args.Length; i++)
        {
            string arg = args[i];
            if (arg.StartsWith("--", StringComparison.Ordinal) && arg.Contains(':', StringComparison.Ordinal))
            {
                settings.Add(arg);
                if (!arg.Contains('=', StringComparison.Ordinal) && i + 1 < args.Length) settings.Add(args[++i]);
            }
            else if (verb is "train" or "import" && arg.StartsWith("--recipe=", StringComparison.Ordinal)) settings.Add($"--{Composition.Recipes.Setting}={arg["--recipe=".Length..]}");
            else if (verb is "train" or "import" && arg == "--recipe" && i + 1 < args.Length) settings.Add($"--{Composition.Recipes.Setting}={args[++i]}");
            else if (verb == "compare" && arg is "--seeds" or "--baseline" && i + 1 < args.Length) settings.Add($"--Bbn:Compare:{(arg == "--seeds" ? "Seeds" : "Baseline")}={args[++i]}");
            else if (verb == "predict" && arg == "--json") settings.Add("--Bbn:Predict:Json=true");
            else if (verb == "predict" && arg.StartsWith("--top=", StringComparison.Ordinal)) settings.Add("--Bbn:Predict:Top=" + arg["--top=".Length..]);
            else if (verb == "predict" && arg == "--top" && i + 1 < args.Length) settings.Add("--Bbn:Predict:Top=" + args[++i]);
            else if (!arg.StartsWith('-') && position < keys.Count)
            {
                string key = keys[position];
                if (key == "Bbn:Predict:Inputs") settings.Add($"--{key}:{inputs++}={arg}");
                else
                {
                    settings.Add($"--{key}={arg}");
                    position++;
                }
            }
            else
            {
                throw new ArgumentException($"'{arg}' is not understood by {verb}. {Usage(verb)}");
            }
        }
        return [.. settings];
    }

    public static string Usage(string verb) => VerbTable.Find(verb)?.Usage ?? $"Usage: {verb} [--Bbn:Section:Key=value ...]";
}
