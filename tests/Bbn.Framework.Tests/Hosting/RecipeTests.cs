using Bbn.Hosting;
using Bbn.Hosting.Composition;
using FluentAssertions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Bbn.Framework.Tests;

/// <summary>The shipped recipes: each loads over the defaults and passes the start-up validation; the command line still overrides them.</summary>
public sealed class RecipeTests : IDisposable
{
    private readonly string root = Directory.CreateTempSubdirectory("bbn-recipes-").FullName;

    public static TheoryData<string> Shipped => [.. Recipes.All().Select(r => r.Name)];

    private static BbnOptions Compose(params string[] settings)
    {
        var builder = BbnApplication.CreateBuilder(settings);
        builder.AddBbnKernel();
        using var host = builder.Build();
        return host.Services.GetRequiredService<IOptions<BbnOptions>>().Value;
    }

    [Fact]
    public void The_papers_recipes_are_shipped()
    {
        Recipes.All().Select(r => r.Name).Should().Contain([
            "bbn-cifar10-lt-ir100", "bbn-cifar10-lt-ir50", "bbn-cifar10-lt-ir10",
            "bbn-cifar100-lt-ir100", "bbn-cifar100-lt-ir50", "bbn-cifar100-lt-ir10",
            "bbn-inat2018", "ldam-drw-cifar10-lt-ir100", "crt-inat2018", "lws-inat2018", "tau-norm-inat2018", "finetune-resnet50-imagenet"]);
        Recipes.All().Should().OnlyContain(r => r.Description.Length > 0 && r.Target.Length > 0, "each names its setup and the figure it targets");
    }

    [Theory]
    [MemberData(nameof(Shipped))]
    public void Each_recipe_layers_over_the_defaults_and_validates(string name)
    {
        // The iNaturalist recipes need the folder their annotations are in; nothing is read until training.
        var options = Compose($"--{Recipes.Setting}={name}", $"--Bbn:Dataset:Root={root}");

        var recipe = System.Text.Json.JsonDocument.Parse(File.ReadAllText(Recipes.Resolve(name).Path)).RootElement.GetProperty("Bbn");
        options.Training.Epochs.Should().Be(recipe.GetProperty("Training").GetProperty("Epochs").GetInt32());
        options.Training.LearningRate.Should().Be(recipe.GetProperty("Training").GetProperty("LearningRate").GetDouble());
        options.Dataset.Name.Should().Be(recipe.GetProperty("Dataset").GetProperty("Name").GetString());
        options.Method.Name.Should().Be(recipe.GetProperty("Method").GetProperty("Name").GetString());
    }

    [Fact]
    public void The_bbn_cifar_recipe_is_the_official_config_and_the_command_line_overrides_it()
    {
        var options = Compose($"--{Recipes.Setting}=bbn-cifar10-lt-ir50", "--Bbn:Training:Epochs=3", $"--Bbn:Dataset:Root={root}");

        options.Training.Epochs.Should().Be(3, "the command line is above the recipe");
        options.Dataset.ImbalanceRatio.Should().Be(50, "configs/cifar10.yaml: RATIO 0.02");
        options.Training.LrDecayAt.Should().Equal(0.6, 0.8);
        options.Training.LrDecayFactor.Should().Be(0.01);
        options.Training.WeightDecay.Should().Be(2e-4);
        Compose($"--Bbn:Dataset:Root={root}").Training.Epochs.Should().Be(20, "without a recipe: appsettings.json");
    }

    [Fact]
    public void The_fine_tuning_recipe_slows_and_freezes_the_pretrained_trunk_and_takes_the_weights_from_the_command_line()
    {
        string weights = Path.Combine(root, "resnet50.pth");
        File.WriteAllBytes(weights, [0]);

        var options = Compose($"--{Recipes.Setting}=finetune-resnet50-imagenet", $"--Bbn:Dataset:Root={root}", $"--Bbn:Backbone:Pretrained={weights}");

        options.Backbone.Name.Should().Be("resnet50");
        options.Backbone.FineTuning().Should().Be(new Bbn.Core.Model.FineTuning(weights, Strict: true, FreezeStages: 1, TrunkLearningRateScale: 0.1, FreezeNorm: false));
        options.Dataset.Name.Should().Be("image-folder");
    }

    [Fact]
    public async Task The_recipes_verb_lists_each_with_its_target()
    {
        var (code, output, _) = await AppRunner.Run("recipes");

        code.Should().Be(0);
        output.Should().Contain("bbn-cifar10-lt-ir100").And.Contain("79.82").And.Contain("bbn-inat2018").And.Contain("69.62");
    }

    [Fact]
    public async Task An_unknown_recipe_is_one_line_that_lists_the_recipes()
    {
        var (code, _, error) = await AppRunner.Run("train", "--recipe", "bbn-cifar10-lt-ir99");

        code.Should().Be(BbnApplication.ExitBadInput);
        error.Trim().Should().NotContain("\n").And.Contain("'bbn-cifar10-lt-ir99' is not a recipe").And.Contain("bbn-cifar10-lt-ir100");
    }

    [Fact]
    public async Task A_recipe_that_does_not_parse_is_one_line_with_its_file_line_and_column()
    {
        string file = Path.Combine(root, "broken.json");
        File.WriteAllText(file, "{\n  \"Bbn\": {\n    \"Training\": { \"Epochs\": 20,, }\n  }\n}\n");

        var (code, _, error) = await AppRunner.Run("train", $"--recipe={file}");

        code.Should().Be(BbnApplication.ExitBadInput);
        error.Trim().Should().NotContain("\n").And.Contain(file).And.Contain("line 3, column");
    }

    public void Dispose() => Directory.Delete(root, recursive: true);
}
