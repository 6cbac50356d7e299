using System.Reflection;
using FluentAssertions;

namespace Bbn.Framework.Tests;

/// <summary>Bad configuration fails at start (ValidateOnStart), before any data is read, with exit code 2.</summary>
public sealed class ConfigurationValidationTests
{
    [Fact]
    public async Task An_unknown_component_name_lists_the_available_names_of_that_kind()
    {
        var (code, _, error) = await AppRunner.Run("train", "--Bbn:Method:Samplers:Rebalancing:Name=reversd");

        code.Should().Be(2);
        error.Should().Contain("Bbn:Method:Samplers:Rebalancing:Name = 'reversd' is not a known sampler. Available samplers: class-balanced, progressive, reversed, square-root, uniform.");
    }

    [Fact]
    public async Task Ranges_and_names_declared_on_the_options_classes_name_the_setting_its_value_and_what_is_allowed()
    {
        var (code, _, error) = await AppRunner.Run("train", "--Bbn:Training:Epochs=0", "--Bbn:Training:LrDecayAt:0=0.5", "--Bbn:Training:LrDecayAt:1=2",
            "--Bbn:Validation:Fraction=1", "--Bbn:Distributed:BucketMegabytes=0", "--Bbn:Backbone:FreezeStages=5",
            "--Bbn:Training:ManyShotThreshold=5", "--Bbn:Training:FewShotThreshold=10", "--Bbn:Training:RunName=../elsewhere");

        code.Should().Be(2);
        error.Should().Contain("Bbn:Training:Epochs = 0 is out of range: expected an integer from 1 to 100000.")
            .And.Contain("Bbn:Training:LrDecayAt:1 = 2 is out of range: expected a fraction of the run from 0 to 1.")
            .And.NotContain("Bbn:Training:LrDecayAt:0")
            .And.Contain("Bbn:Validation:Fraction = 1 is out of range: expected a fraction between 0 and 1 (exclusive) of each class's training images.")
            .And.Contain("Bbn:Distributed:BucketMegabytes = 0 is out of range: expected a number from 0.001 to 1000000.")
            .And.Contain("Bbn:Backbone:FreezeStages = 5 is out of range: expected a stage count (0: nothing frozen; 4: the whole shared trunk) from 0 to 4.")
            .And.Contain("Bbn:Training:ManyShotThreshold = 5 is out of range: expected an integer (at least FewShotThreshold) from 10 to")
            .And.Contain("Bbn:Training:RunName = '../elsewhere' is invalid: expected a folder name without path separators.");
    }

    [Theory]
    [InlineData("--Bbn:Validation:Refit=sometimes", "Bbn:Validation:Refit = 'sometimes' is invalid: expected auto, always, never.")]
    [InlineData("--Bbn:Distributed:Backend=nccl", "Bbn:Distributed:Backend = 'nccl' is invalid: expected auto, none, mpi.")]
    [InlineData("--Bbn:Training:ClassifierInit=7", "Bbn:Training:ClassifierInit = '7' is invalid: expected default, zero.")]
    [InlineData("--Bbn:Training:Epochs=many", "Bbn:Training:Epochs = 'many' is invalid: expected an integer.")]
    public async Task A_value_that_does_not_bind_names_the_setting_and_what_it_takes(string setting, string expected)
    {
        var (code, _, error) = await AppRunner.Run("train", setting);

        code.Should().Be(2);
        error.Should().Contain(expected).And.NotContain("Bbn.Core", "the message speaks of settings, not .NET types");
    }

    [Fact]
    public async Task An_unknown_optimizer_and_an_adamw_setting_out_of_range_are_refused_at_start()
    {
        var (code, _, error) = await AppRunner.Run("train", "--Bbn:Optimizer:Name=adam");
        var (rangeCode, _, rangeError) = await AppRunner.Run("train", "--Bbn:Optimizer:Name=adamw", "--Bbn:Optimizer:Beta2=1.5");

        code.Should().Be(2);
        error.Should().Contain("Bbn:Optimizer:Name = 'adam' is not a known optimizer. Available optimizers: adamw, sgd.");
        rangeCode.Should().Be(2);
        rangeError.Should().Contain("Bbn:Optimizer:Beta2");
    }

    [Fact]
    public async Task Out_of_range_values_show_the_value_and_the_range()
    {
        var (code, _, error) = await AppRunner.Run("train", "--Bbn:Training:Epochs=0", "--Bbn:Training:Momentum=1.5", "--Bbn:Dataset:ImbalanceRatio=0.5",
            "--Bbn:Training:MemoryGrowthTolerance=-0.1");

        code.Should().Be(2);
        error.Should().Contain("Bbn:Training:Epochs = 0 is out of range: expected an integer from 1 to 100000.")
            .And.Contain("Bbn:Training:Momentum = 1.5 is out of range")
            .And.Contain("Bbn:Dataset:ImbalanceRatio = 0.5 is out of range: expected a number from 1 to 100000.")
            .And.Contain("Bbn:Training:MemoryGrowthTolerance = -0.1 is out of range: expected a fraction (0: give free memory back after every epoch) from 0 to 10.");
    }

    [Fact]
    public async Task The_file_pipeline_settings_are_checked_at_start()
    {
        var (code, _, error) = await AppRunner.Run("train", "--Bbn:Dataset:Prefetch=0", "--Bbn:Dataset:Workers=-1");
        // A name that binds to no policy stops the binding itself, before the ranges are checked.
        var (policyCode, _, policyError) = await AppRunner.Run("train", "--Bbn:Dataset:OnBadImage=ignore");

        code.Should().Be(2);
        error.Should().Contain("Bbn:Dataset:Prefetch = 0 is out of range: expected an integer from 1 to 256.")
            .And.Contain("Bbn:Dataset:Workers = -1 is out of range");
        policyCode.Should().Be(2);
        policyError.Should().Contain("Bbn:Dataset:OnBadImage = 'ignore' is invalid: expected fail, skip.");
    }

    [Fact]
    public async Task An_unknown_method_device_and_classifier_are_refused()
    {
        var (code, _, error) = await AppRunner.Run("train", "--Bbn:Method=two-branch", "--Bbn:Training:Device=tpu", "--Bbn:Training:Classifier=normed");

        code.Should().Be(2);
        error.Should().Contain("Bbn:Method:Name = 'two-branch' is not a known method. Available methods: bal-bce, bal-scl, bbn, crt, lws, mislas, single-branch, tau-norm, weight-balancing.")
            .And.Contain("Bbn:Training:Device = 'tpu' is invalid: expected auto, cpu, cuda or cuda:N.")
            .And.Contain("Bbn:Training:Classifier = 'normed' is invalid: expected auto, linear, cosine.");
    }

    [Fact]
    public async Task A_value_of_the_wrong_type_names_the_setting()
    {
        var (code, _, error) = await AppRunner.Run("train", "--Bbn:Training:BatchSize=lots");

        code.Should().Be(2);
        error.Should().Contain("'lots'").And.Contain("Bbn:Training:BatchSize");
    }

    [Fact]
    public async Task An_unknown_verb_lists_the_verbs()
    {
        var (code, _, error) = await AppRunner.Run("fit");

        code.Should().Be(2);
        error.Should().Contain("Unknown verb 'fit'. Verbs: train, evaluate, predict, export, import, plugins, trust, recipes, compare.");
    }
}

/// <summary>A configuration file that does not parse: one line naming the file, the line and the column, exit 2 (the real host process).</summary>
public sealed class ConfigurationFileTests : IDisposable
{
    private readonly string environment = "Broken" + Guid.NewGuid().ToString("N")[..8];
    private readonly string host = typeof(ConfigurationFileTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "TrainerHost").Value!;

    private string File => Path.Combine(Path.GetDirectoryName(host)!, $"appsettings.{environment}.json");

    [Fact]
    public async Task A_malformed_appsettings_file_is_one_error_with_its_line_and_column_and_exit_code_two()
    {
        // The host reads appsettings.<environment>.json beside appsettings.json; line 3 has a stray comma.
        System.IO.File.WriteAllText(File, "{\n  \"Bbn\": {\n    \"Training\": { \"Epochs\": 3,, }\n  }\n}\n");
        var start = new System.Diagnostics.ProcessStartInfo(host, ["plugins"]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["DOTNET_ENVIRONMENT"] = environment;
        using var process = System.Diagnostics.Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        string error = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();

        process.ExitCode.Should().Be(2);
        error.Trim().Split('\n').Should().ContainSingle("one line, no stack trace");
        error.Should().Contain($"{File} does not parse at line 3, column 31").And.Contain("Fix the file");
        (await output).Should().BeEmpty();
    }

    public void Dispose() => System.IO.File.Delete(File);
}

/// <summary>A setting nothing reads is a typo until shown otherwise: reported at start with the nearest known name.</summary>
public sealed class UnknownSettingTests
{
    [Theory]
    [InlineData("--Bbn:Training:Epoch=3", "Bbn:Training:Epoch is not a setting anything reads; did you mean Bbn:Training:Epochs?")]
    [InlineData("--Bbn:Method:Adaptr:Name=linear", "Bbn:Method:Adaptr:Name is not a setting anything reads (bbn reads Adaptor); did you mean Bbn:Method:Adaptor?")]
    [InlineData("--Bbn:Validation:PerClas=5", "Bbn:Validation:PerClas is not a setting anything reads; did you mean Bbn:Validation:PerClass?")]
    public async Task A_misspelt_host_setting_stops_the_host_with_the_nearest_name(string setting, string expected)
    {
        var (code, _, error) = await AppRunner.Run("train", setting);

        code.Should().Be(2);
        error.Should().Contain(expected).And.Contain("--Bbn:UnknownSettings=warn");
    }

    [Fact]
    public async Task A_key_the_chosen_component_does_not_read_names_what_it_reads()
    {
        var (code, _, error) = await AppRunner.Run("train", "--Bbn:Loss:Name=focal", "--Bbn:Loss:Gama=1");

        code.Should().Be(2);
        error.Should().Contain("Bbn:Loss:Gama is not a setting anything reads (focal reads Gamma); did you mean Bbn:Loss:Gamma?");
    }

    [Fact]
    public void The_samplers_and_adaptor_at_their_old_places_are_read_at_the_new_ones_with_a_warning_and_the_new_place_wins()
    {
        var old = Bbn.Hosting.BbnApplication.CreateBuilder(["--Bbn:Adaptor:Name=linear", "--Bbn:Samplers:Rebalancing:Name=square-root", "--Bbn:Samplers:Rebalancing:Power=0.5"]);
        var both = Bbn.Hosting.BbnApplication.CreateBuilder(["--Bbn:Adaptor:Name=linear", "--Bbn:Method:Adaptor:Name=cosine"]);
        var none = Bbn.Hosting.BbnApplication.CreateBuilder(["--Bbn:Method:Adaptor:Name=cosine"]);

        old.Configuration["Bbn:Method:Adaptor:Name"].Should().Be("linear");
        old.Configuration["Bbn:Method:Samplers:Rebalancing:Power"].Should().Be("0.5");
        Warnings(old).Should().BeEquivalentTo(
            "Bbn:Samplers:Rebalancing is read as Bbn:Method:Samplers:Rebalancing in this version; move it there (the old place is not read from the next version on).",
            "Bbn:Adaptor is read as Bbn:Method:Adaptor in this version; move it there (the old place is not read from the next version on).");
        both.Configuration["Bbn:Method:Adaptor:Name"].Should().Be("cosine");
        Warnings(both).Should().ContainSingle().Which.Should().StartWith("Bbn:Adaptor is not read: Bbn:Method:Adaptor is set and takes its place.");
        Warnings(none).Should().BeEmpty();

        static IReadOnlyList<string> Warnings(Microsoft.Extensions.Hosting.HostApplicationBuilder builder) =>
            ((Bbn.Hosting.Composition.RenamedSettings)builder.Services.Single(d => d.ServiceType == typeof(Bbn.Hosting.Composition.RenamedSettings)).ImplementationInstance!).Warnings;
    }

    [Fact]
    public async Task An_old_place_is_not_reported_as_unknown_where_the_method_reads_no_adaptor_but_the_new_place_is()
    {
        var (oldCode, _, oldError) = await AppRunner.Run("evaluate", "/nonexistent/run", "--Bbn:Method=single-branch", "--Bbn:Adaptor:Name=linear");
        var (newCode, _, newError) = await AppRunner.Run("evaluate", "/nonexistent/run", "--Bbn:Method=single-branch", "--Bbn:Method:Adaptor:Name=linear");

        oldError.Should().NotContain("not a setting anything reads", "the old place is a compare's common setting the shim reads");
        oldCode.Should().Be(1, "it gets as far as the missing checkpoint");
        newCode.Should().Be(2);
        newError.Should().Contain("Bbn:Method:Adaptor:Name is not a setting anything reads (single-branch reads no settings)");
    }

    [Fact]
    public async Task Settings_of_the_chosen_components_and_of_unused_component_sections_pass()
    {
        // focal reads Gamma; Bbn:Adaptor is the adaptor's old place, read by the shim (RenamedSettings) whatever the method.
        var (code, _, error) = await AppRunner.Run("evaluate", "/nonexistent/run", "--Bbn:Method=single-branch", "--Bbn:Loss:Name=focal", "--Bbn:Loss:Gamma=1",
            "--Bbn:Adaptor:Value=0.3", "--Bbn:Training:LrDecayAt:0=0.5");

        error.Should().NotContain("not a setting anything reads");
        code.Should().Be(1, "it gets as far as the missing checkpoint");
    }

    [Fact]
    public async Task Warn_logs_the_setting_and_goes_on()
    {
        var (code, _, error) = await AppRunner.Run("evaluate", "/nonexistent/run", "--Bbn:Training:Epoch=3", "--Bbn:UnknownSettings=warn");

        error.Should().NotContain("Configuration error");
        code.Should().Be(1, "it gets as far as the missing checkpoint");
    }
}
