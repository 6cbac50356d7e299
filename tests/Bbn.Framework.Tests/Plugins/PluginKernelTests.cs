using Bbn.Core.Runs;
using Bbn.Abstractions;
using Bbn.Hosting;
using Bbn.Hosting.Composition;
using Bbn.Hosting.Plugins;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Bbn.Framework.Tests;

[Collection(PluginFixturesCollection.Name)]
[Trait(Speed.Name, Speed.Slow)]
public sealed class PluginKernelTests(PluginFixtures fixtures)
{
    [Fact]
    public void The_built_in_plugins_are_discovered_at_run_time_with_every_component()
    {
        var catalog = PluginKernel.Load(["plugins"], AppContext.BaseDirectory);

        catalog.Components.Select(c => $"{c.Kind}/{c.Name}").Should().BeEquivalentTo(
            "backbone/resnet32", "backbone/resnet10", "backbone/resnet18", "backbone/resnet50",
            "sampler/uniform", "sampler/reversed", "sampler/class-balanced", "sampler/square-root", "sampler/progressive",
            "adaptor/parabolic", "adaptor/linear", "adaptor/cosine", "adaptor/parabolic-increment", "adaptor/fixed", "adaptor/step", "adaptor/beta",
            "loss/cross-entropy", "loss/focal", "loss/class-balanced", "loss/ldam", "loss/balanced-softmax", "loss/logit-adjustment", "loss/label-smoothing",
            "dataset/fashion-mnist", "dataset/cifar10", "dataset/cifar100", "dataset/inaturalist", "dataset/image-folder",
            "method/bbn", "method/single-branch", "method/crt", "method/lws", "method/tau-norm", "method/weight-balancing", "method/mislas", "method/bal-bce", "method/bal-scl",
            "batch-transform/mixup", "batch-transform/cutmix", "optimizer/sgd", "optimizer/adamw");
        catalog.Components.Should().OnlyContain(c => c.Plugin.AssemblyName.StartsWith("Bbn.Plugins.") && c.Plugin.Location.Contains("/plugins/"));
    }

    [Fact]
    public void Plugin_folders_carry_no_copy_of_torch_libtorch_or_the_contracts()
    {
        var files = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "plugins"), "*", SearchOption.AllDirectories).Select(Path.GetFileName).ToList();

        files.Should().Contain("Bbn.Plugins.Backbones.dll");
        files.Should().NotContain(f => f!.StartsWith("TorchSharp") || f.StartsWith("libtorch") || f.StartsWith("libLibTorchSharp") || f == "Bbn.Abstractions.dll");
    }

    [Fact]
    public async Task The_plugins_verb_lists_kind_name_assembly_and_version()
    {
        var (code, output, _) = await AppRunner.Run("plugins");

        code.Should().Be(0);
        output.Should().MatchRegex(@"sampler\s+reversed\s+Bbn\.Plugins\.Samplers\s+\d+\.\d+\.\d+");
        output.Should().MatchRegex(@"backbone\s+resnet32\s+Bbn\.Plugins\.Backbones");
        output.Should().MatchRegex(@"method\s+crt\s+Bbn\.Plugins\.Methods");
        output.Should().MatchRegex(@"optimizer\s+adamw\s+Bbn\.Plugins\.Optimizers");
        output.Should().Contain("41 components from 10 plugin assemblies.");
    }

    [Fact]
    public async Task A_dropped_in_plugin_is_discovered_and_resolved_by_its_configured_name_without_rebuilding_the_host()
    {
        var (code, output, _) = await AppRunner.Run(["plugins", .. AppRunner.PluginDirectories(fixtures.DropIn)]);
        code.Should().Be(0);
        output.Should().MatchRegex(@"adaptor\s+constant\s+DropInSchedule");

        var builder = Bbn.Hosting.BbnApplication.CreateBuilder([
            .. AppRunner.PluginDirectories(fixtures.DropIn), "--Bbn:Method:Adaptor:Name=constant", "--Bbn:Method:Adaptor:Value=0.25"]);
        builder.AddBbnKernel();
        using var services = builder.Services.BuildServiceProvider();
        var slot = new ComponentSlot(ComponentKinds.Adaptor, typeof(IWeightSchedule), "Bbn:Method:Adaptor", _ => null);
        var adaptor = services.GetRequiredService<ComponentResolver>().Resolve<IWeightSchedule>(slot, builder.Configuration["Bbn:Method:Adaptor:Name"]!);

        adaptor.GetType().Assembly.GetName().Name.Should().Be("DropInSchedule");
        adaptor.Weight(1, 10).Should().Be(0.25);
        adaptor.Weight(10, 10).Should().Be(0.25);
    }

    [Fact]
    public async Task A_dropped_in_method_with_three_branches_and_a_fine_tuning_stage_trains_without_rebuilding_anything()
    {
        string root = fixtures.EmptyDirectory("drop-in-method-run");
        string data = FashionMnistFiles.WriteSubset(Path.Combine(root, "data"), trainImages: 1000, testImages: 200);
        var (listCode, listing, _) = await AppRunner.Run(["plugins", .. AppRunner.PluginDirectories(fixtures.DropInMethod)]);
        listCode.Should().Be(0);
        listing.Should().MatchRegex(@"method\s+three-branch\s+DropInMethod");

        var (code, _, error) = await AppRunner.Run(["train", .. AppRunner.PluginDirectories(fixtures.DropInMethod),
            "--Bbn:Method:Name=three-branch", $"--Bbn:Dataset:Root={data}", $"--Bbn:Training:OutputDirectory={Path.Combine(root, "runs")}",
            "--Bbn:Training:RunName=three", "--Bbn:Training:Epochs=1", "--Bbn:Training:BatchSize=16", "--Bbn:Training:MaxStepsPerEpoch=2",
            "--Bbn:Training:WarmupEpochs=1"]);

        error.Should().BeEmpty();
        code.Should().Be(0);
        var run = new Bbn.Core.Runs.RunDirectory(Path.Combine(root, "runs", "three"));
        run.ReadMetrics().Select(m => m.Stage).Should().Equal(1, 2);
        var header = Bbn.Core.Training.Checkpoint.ReadHeader(run.CheckpointPath);
        header.Method.Should().Be("three-branch");
        header.Stages!.Select(s => s.Name).Should().Equal("three-branch", "fine-tune");
    }

    [Fact]
    public async Task A_component_setting_out_of_range_is_reported_at_start_with_its_full_path()
    {
        var (code, _, error) = await AppRunner.Run(["train", .. AppRunner.PluginDirectories(fixtures.DropIn), "--Bbn:Method:Adaptor:Name=constant", "--Bbn:Method:Adaptor:Value=2"]);

        code.Should().Be(2);
        error.Should().Contain("Setting Bbn:Method:Adaptor:Value = '2' is invalid: expected a number from 0 to 1.");
    }

    [Fact]
    public async Task A_file_that_is_not_a_dotnet_assembly_is_named_with_the_fix()
    {
        string directory = fixtures.EmptyDirectory("not-an-assembly");
        string file = Path.Combine(Directory.CreateDirectory(Path.Combine(directory, "Broken")).FullName, "Broken.dll");
        await File.WriteAllBytesAsync(file, [0x7f, (byte)'E', (byte)'L', (byte)'F', 1, 2, 3, 4]);

        var (code, _, error) = await AppRunner.Run(["plugins", .. AppRunner.PluginDirectories(directory)]);

        code.Should().Be(2);
        error.Should().Contain($"{file} is not a .NET assembly").And.Contain("remove this file or replace it");
    }

    [Fact]
    public async Task A_plugin_whose_dependency_is_missing_names_the_dependency_and_the_folder()
    {
        var (code, _, error) = await AppRunner.Run(["plugins", .. AppRunner.PluginDirectories(fixtures.MissingDependency)]);

        code.Should().Be(2);
        error.Should().Contain("Plugin NeedsDependency").And.Contain("DependencyLibrary").And.Contain("Copy that assembly next to the plugin");
    }

    [Fact]
    public async Task A_registrar_that_throws_is_named_and_the_host_stops_with_exit_2()
    {
        var (code, _, error) = await AppRunner.Run(["plugins", .. AppRunner.PluginDirectories(fixtures.ThrowingRegistrar)]);

        code.Should().Be(2);
        error.Should().Contain("Plugin ThrowingRegistrar (").And.Contain("failed while registering its components: InvalidOperationException: the registrar's own bug")
            .And.Contain("Fix the plugin or remove it");
    }

    [Fact]
    public async Task A_factory_that_throws_is_reported_at_start_naming_its_plugin()
    {
        var (code, _, error) = await AppRunner.Run(["train", .. AppRunner.PluginDirectories(fixtures.FailingFactory), "--Bbn:Method:Adaptor:Name=fails-to-start"]);

        code.Should().Be(2);
        error.Should().Contain("Bbn:Method:Adaptor: the adaptor 'fails-to-start' of plugin FailingFactory (").And.Contain("failed to start: NullReferenceException: the factory's own bug");
    }

    [Fact]
    public async Task Pinned_plugins_load_only_with_their_hashes()
    {
        var (listed, pins, _) = await AppRunner.Run(["trust", .. AppRunner.PluginDirectories(fixtures.DropIn)]);
        listed.Should().Be(0);
        string[] trusted = pins.Split('\n').Where(l => l.StartsWith("--Bbn:Plugins:Trusted:", StringComparison.Ordinal)).Select(l => l.Trim()).ToArray();
        trusted.Should().Contain(l => l.StartsWith("--Bbn:Plugins:Trusted:DropInSchedule=", StringComparison.Ordinal)).And.Contain(l => l.StartsWith("--Bbn:Plugins:Trusted:Bbn.Plugins.Losses=", StringComparison.Ordinal));

        var (pinnedCode, _, pinnedError) = await AppRunner.Run(["plugins", .. AppRunner.PluginDirectories(fixtures.DropIn), .. trusted]);
        pinnedCode.Should().Be(0, pinnedError);

        string[] altered = [.. trusted.Select(l => l.StartsWith("--Bbn:Plugins:Trusted:DropInSchedule=", StringComparison.Ordinal) ? "--Bbn:Plugins:Trusted:DropInSchedule=" + new string('0', 64) : l)];
        var (alteredCode, _, alteredError) = await AppRunner.Run(["plugins", .. AppRunner.PluginDirectories(fixtures.DropIn), .. altered]);
        alteredCode.Should().Be(2);
        alteredError.Should().Contain("Plugin DropInSchedule (").And.Contain("does not match Bbn:Plugins:Trusted:DropInSchedule: its SHA-256 is ").And.Contain(new string('0', 64));
        var (trustAgain, newPins, _) = await AppRunner.Run(["trust", .. AppRunner.PluginDirectories(fixtures.DropIn), .. altered]);
        trustAgain.Should().Be(0, "trust reads the files without loading them, so a stale pin does not stop it");
        newPins.Should().Contain(trusted.Single(l => l.StartsWith("--Bbn:Plugins:Trusted:DropInSchedule=", StringComparison.Ordinal)));

        var (missingCode, _, missingError) = await AppRunner.Run(["plugins", .. AppRunner.PluginDirectories(fixtures.DropIn), .. trusted.Where(l => !l.Contains("DropInSchedule", StringComparison.Ordinal))]);
        missingCode.Should().Be(2);
        missingError.Should().Contain("Plugin DropInSchedule (").And.Contain("is not in Bbn:Plugins:Trusted, which pins every plugin");
    }

    [Fact]
    public async Task A_plugin_built_against_incompatible_contracts_names_both_versions()
    {
        var (code, _, error) = await AppRunner.Run(["plugins", .. AppRunner.PluginDirectories(fixtures.FutureContracts)]);

        code.Should().Be(2);
        error.Should().Contain("Plugin FutureContractsPlugin").And.Contain("built against Bbn.Abstractions 99.0.0.0")
            .And.Contain($"this host provides {typeof(Bbn.Abstractions.ISampler).Assembly.GetName().Version}").And.Contain("Rebuild the plugin");
    }

    [Fact]
    public async Task Two_plugins_registering_the_same_kind_and_name_are_both_named()
    {
        var (code, _, error) = await AppRunner.Run(["plugins", .. AppRunner.PluginDirectories(fixtures.Shadow)]);

        code.Should().Be(2);
        error.Should().Contain("Two plugins register the adaptor 'parabolic'")
            .And.Contain("Bbn.Plugins.Schedules (").And.Contain("ShadowSchedules (").And.Contain("Remove one of the two assemblies");
    }

    [Fact]
    public async Task A_loose_dll_in_the_plugin_directory_is_refused_with_the_expected_layout()
    {
        string directory = fixtures.EmptyDirectory("loose");
        File.Copy(Path.Combine(fixtures.DropIn, "DropInSchedule", "DropInSchedule.dll"), Path.Combine(directory, "DropInSchedule.dll"), overwrite: true);

        var (code, _, error) = await AppRunner.Run(["plugins", .. AppRunner.PluginDirectories(directory)]);

        code.Should().Be(2);
        error.Should().Contain("lies directly in the plugin directory").And.Contain(Path.Combine(directory, "DropInSchedule", "DropInSchedule.dll"));
    }

    [Fact]
    public async Task A_missing_plugin_directory_names_the_setting()
    {
        var (code, _, error) = await AppRunner.Run(["plugins", .. AppRunner.PluginDirectories("/nonexistent/bbn-plugins")]);

        code.Should().Be(2);
        error.Should().Contain("Bbn:Plugins:Directories:1 = '/nonexistent/bbn-plugins' does not exist");
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_plugin_folder_others_may_write_to_is_refused_with_the_fix_unless_allowed()
    {
        string directory = fixtures.EmptyDirectory("writable");
        string folder = Path.Combine(directory, "DropInSchedule");
        Directory.CreateDirectory(folder);
        foreach (string file in Directory.GetFiles(Path.Combine(fixtures.DropIn, "DropInSchedule")))
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)), overwrite: true);
        File.SetUnixFileMode(folder, File.GetUnixFileMode(folder) | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite);

        var (code, _, error) = await AppRunner.Run(["plugins", .. AppRunner.PluginDirectories(directory)]);
        var (allowed, output, allowedError) = await AppRunner.Run(["plugins", "--Bbn:Plugins:AllowWritable=true", .. AppRunner.PluginDirectories(directory)]);

        code.Should().Be(2);
        error.Should().Contain($"{folder} may be written by users other than its owner (mode 7").And.Contain($"chmod go-w '{folder}'")
            .And.Contain("Bbn:Plugins:AllowWritable=true");
        allowed.Should().Be(0, allowedError);
        output.Should().Contain("DropInSchedule");
    }
}
