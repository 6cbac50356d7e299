using Bbn.Hosting.Composition;
using Bbn.Hosting.Console;
using Bbn.Hosting.Plugins;
using Bbn.Hosting.Runtime;
using Bbn.Hosting.Verbs;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Spectre.Console;

namespace Bbn.Hosting;

/// <summary>
/// The trainer application: verbs train (default), evaluate, predict, export, import, plugins, recipes and compare over one generic host
/// (appsettings.json beside the host, a recipe (--recipe), BBN__ environment variables, --Bbn:Section:Key=value).
/// </summary>
public static class BbnApplication
{
    public const int ExitOk = 0;
    public const int ExitFailure = 1;
    public const int ExitBadInput = 2;

    public static IReadOnlyList<string> Verbs => VerbTable.Names;

    /// <summary>The switch that adds the stack trace to a verb's failure line.</summary>
    public const string VerboseSwitch = "--verbose";

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken cancellation = default)
    {
        bool verbose = args.Contains(VerboseSwitch);
        TorchRuntime.Verbose = verbose;
        args = [.. args.Where(a => a != VerboseSwitch)];
        string verb = args.Length > 0 && !args[0].StartsWith('-') ? args[0] : "train";
        if (!Verbs.Contains(verb))
        {
            await error.WriteLineAsync($"Unknown verb '{verb}'. Verbs: {string.Join(", ", Verbs)}. Settings follow the verb as --Bbn:Section:Key=value.");
            return ExitBadInput;
        }
        string[] settings;
        try
        {
            settings = VerbArguments.ToSettings(verb, args.Length > 0 && !args[0].StartsWith('-') ? args[1..] : args);
        }
        catch (ArgumentException e)
        {
            await error.WriteLineAsync(e.Message);
            return ExitBadInput;
        }

        if (verb == "compare") return await Comparison.CompareRunner.RunAsync(settings, output, error, cancellation);

        if (verb == "recipes")
        {
            try
            {
                Recipes.Write(Recipes.All(), output);
                return ExitOk;
            }
            catch (RecipeException e)
            {
                await error.WriteLineAsync(e.Message);
                return ExitBadInput;
            }
        }

        IHost host;
        try
        {
            var builder = CreateBuilder(settings);
            // trust hashes the files without loading them, so it also works while a stale pin refuses a plugin.
            if (verb == "trust")
            {
                PluginListing.WriteHashes(PluginOptions.From(builder.Configuration), output);
                return ExitOk;
            }
            var catalog = builder.AddBbnKernel();
            if (verb == "plugins")
            {
                PluginListing.Write(catalog, output);
                return ExitOk;
            }
            builder.Services.AddSingleton(new VerbOutput(output));
            VerbTable.Find(verb)!.AddService!(builder.Services);
            host = builder.Build();
        }
        catch (PluginLoadException e)
        {
            await error.WriteLineAsync("Plugin error: " + e.Message);
            return ExitBadInput;
        }
        catch (RecipeException e)
        {
            await error.WriteLineAsync(e.Message);
            return ExitBadInput;
        }
        catch (InvalidDataException e) when (ConfigurationFileError.Describe(e) is { } described)
        {
            await error.WriteLineAsync(described);
            return ExitBadInput;
        }

        using (host)
        {
            // Closing the terminal (SIGHUP) stops the run as SIGTERM does: the step finishes and a checkpoint is written.
            using var hangup = TerminalHangup.StopOnHangup(host.Services.GetRequiredService<IHostApplicationLifetime>());
            try
            {
                await host.StartAsync(cancellation);
            }
            catch (OptionsValidationException e)
            {
                await error.WriteLineAsync("Configuration error:");
                foreach (string failure in e.Failures) await error.WriteLineAsync("  " + failure);
                return ExitBadInput;
            }
            catch (InvalidOperationException e) when (e.Message.Contains("configuration value", StringComparison.OrdinalIgnoreCase))
            {
                await error.WriteLineAsync("Configuration error: " + Composition.BindingFailure.Describe(e.Message));
                return ExitBadInput;
            }
            catch (TorchRuntimeException e)
            {
                await error.WriteLineAsync("Torch runtime error: " + e.Message);
                return ExitFailure;
            }
            catch (Bbn.Core.Distributed.DistributedException e)
            {
                await error.WriteLineAsync("Data-parallel error: " + e.Message);
                return ExitBadInput;
            }
            using var stop = cancellation.Register(() => host.Services.GetRequiredService<IHostApplicationLifetime>().StopApplication());
            await host.WaitForShutdownAsync(CancellationToken.None);
            var outcome = host.Services.GetRequiredService<RunOutcome>();
            if (outcome.Failure is not null)
            {
                await error.WriteLineAsync($"{verb} failed: {outcome.Failure}");
                if (verbose) await error.WriteLineAsync(outcome.Cause!.ToString());
            }
            return outcome.ExitCode;
        }
    }

    public static HostApplicationBuilder CreateBuilder(string[] settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            Args = settings,
            ContentRootPath = AppContext.BaseDirectory,
        });
        Recipes.Layer(builder.Configuration, builder.Configuration);
        // A verb given a run directory or checkpoint reads the data the run was trained on, unless told otherwise.
        if (RunSettings.Layer(builder.Configuration, builder.Configuration) is { } run) builder.Services.AddSingleton(run);
        builder.Services.AddSingleton(RenamedSettings.Layer(builder.Configuration, builder.Configuration));
        builder.Logging.ClearProviders();
        // Start-up failures are reported once, as a plain message, by RunAsync.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
        if (TerminalProgress.IsAvailable(AnsiConsole.Console))
        {
            builder.Logging.AddProvider(new AnsiConsoleLoggerProvider(AnsiConsole.Console));
        }
        else
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
            });
        }
        // Under mpirun, rank 0 alone speaks; the other ranks log warnings and errors only.
        if (Distributed.MpiLaunch.Rank > 0) builder.Logging.AddFilter((_, level) => level >= LogLevel.Warning);
        builder.Services.AddSingleton(AnsiConsole.Console);
        return builder;
    }

    /// <summary>Loads the plugins and registers the kernel's services; throws <see cref="PluginLoadException"/>.</summary>
    public static ComponentCatalog AddBbnKernel(this HostApplicationBuilder builder)
    {
        var pluginOptions = PluginOptions.From(builder.Configuration);
        var catalog = PluginKernel.Load(pluginOptions.SearchedDirectories, AppContext.BaseDirectory, pluginOptions.AllowWritable, pluginOptions.Trusted);

        var services = builder.Services;
        catalog.AddTo(services);
        services.AddSingleton<ComponentResolver>();
        services.AddSingleton<Bbn.Abstractions.IComponentSource>(sp => sp.GetRequiredService<ComponentResolver>());
        services.AddSingleton<RunComposer>();
        services.AddSingleton<Inference.CheckpointComponents>();
        services.AddMetrics();
        services.AddSingleton(sp => new Bbn.Core.Training.TrainerInstruments(sp.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.AddSingleton<RunOutcome>();
        services.AddSingleton(TimeProvider.System);
        // Joined when the train verb first asks: MPI is loaded only under mpirun (or Bbn:Distributed:Backend = mpi).
        services.AddSingleton<Bbn.Core.Distributed.IProcessGroup>(sp =>
        {
            var d = sp.GetRequiredService<IOptions<BbnOptions>>().Value.Distributed;
            return Distributed.MpiLaunch.Joins(d.Backend) ? Bbn.Core.Distributed.MpiProcessGroup.Join(d.Library) : new Bbn.Core.Distributed.SingleProcess();
        });
        services.AddOptions<BbnOptions>().Bind(builder.Configuration.GetSection(BbnOptions.Section))
            .PostConfigure(o => o.Method.Name = MethodSetting.Name(builder.Configuration)).ValidateOnStart();
        services.AddSingleton<IValidateOptions<BbnOptions>, BbnOptionsValidator>();
        services.AddOptions<EvaluateOptions>().Bind(builder.Configuration.GetSection(EvaluateOptions.Section));
        services.AddOptions<PredictOptions>().Bind(builder.Configuration.GetSection(PredictOptions.Section));
        services.AddOptions<ExportOptions>().Bind(builder.Configuration.GetSection(ExportOptions.Section));
        services.AddOptions<ImportOptions>().Bind(builder.Configuration.GetSection(ImportOptions.Section));
        // A stop request lets the trainer finish its step and checkpoint; an evaluation may be running then.
        services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromMinutes(5));
        return catalog;
    }
}
