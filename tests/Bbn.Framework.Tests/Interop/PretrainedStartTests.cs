using System.Collections;
using System.Diagnostics;
using Bbn.Abstractions;
using Bbn.Core.Inference;
using Bbn.Core.Interop;
using Bbn.Core.Model;
using FluentAssertions;
using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace Bbn.Framework.Tests;

/// <summary>Bbn:Backbone:Pretrained: a torchvision ResNet's state_dict starts our backbone, checked against torchvision's own forward.</summary>
[Collection(TorchCollection.Name)]
[Trait(Speed.Name, Speed.Slow)]
public sealed class PretrainedStartTests : IDisposable
{
    private const string Python = "/usr/bin/python3";
    private readonly string work = Directory.CreateTempSubdirectory("bbn-pretrained-").FullName;

    private static BranchNetwork Network(string backbone, int channels, out IPretrainedLayout? layout, string method = "bbn")
    {
        var parts = BuiltInComponents.Create<IBackbone>(backbone).Build(new ImageShape(channels, 64, 64));
        layout = parts.Layout;
        return Bbn.Core.Model.MethodNetworks.Build(BuiltInComponents.Create<ITrainingMethod>(method), parts, classCount: 5, ClassifierHead.Linear);
    }

    [Theory]
    [InlineData("resnet18", 3)]
    [InlineData("resnet18", 1)]
    [InlineData("resnet50", 3)]
    public void A_torchvision_state_dict_gives_torchvision_s_features_and_both_branch_blocks_its_last_block(string arch, int channels)
    {
        RunPython(arch, channels);
        using var network = Network(arch, channels, out var layout);

        var report = PretrainedWeights.Apply(network, layout, arch, Path.Combine(work, $"{arch}.pth"), strict: true);

        report.Ignored.Should().Be(2, "fc.weight and fc.bias stay behind: the data set's classes get a fresh classifier");
        report.Missing.Should().BeEmpty();
        report.Unused.Should().BeEmpty();
        report.SummedStem.Should().Be(channels == 1);
        var (input, expected) = ReadFeatures();
        using var noGrad = no_grad();
        network.eval();
        using var first = network.Features(0, input);
        using var second = network.Features(1, input);
        double tolerance = 1e-4 * Math.Max(1, expected.abs().max().item<float>());
        // allclose rather than a tensor operator: TorchSharp's operators make a temporary Scalar (docs/investigations/native-lifetimes.md).
        first.allclose(expected, rtol: 0, atol: tolerance).Should().BeTrue("our backbone computes torchvision's features");
        second.allclose(first, rtol: 0, atol: 0).Should().BeTrue("both branches start from the file's last block of layer4");
        using var file = File.OpenRead(Path.Combine(work, $"{arch}.pth"));
        var state = PyTorchUnpickler.UnpickleStateDict(file);
        string lastBlock = arch == "resnet50" ? "layer4.2" : "layer4.1";
        foreach (var (name, value) in network.Branch(1).state_dict())
            value.allclose((Tensor)state[$"{lastBlock}.{name["block.".Length..]}"]!, rtol: 0, atol: 0).Should().BeTrue($"{name} is the file's {lastBlock}");
    }

    [Fact]
    public void A_file_of_another_architecture_or_a_missing_tensor_stops_with_the_names_and_the_setting_that_relaxes_it()
    {
        RunPython("resnet18", 3);
        string path = Path.Combine(work, "resnet18.pth");
        using var resnet50 = Network("resnet50", 3, out var layout50);

        var wrongArchitecture = () => PretrainedWeights.Apply(resnet50, layout50, "resnet50", path, strict: true);

        wrongArchitecture.Should().Throw<InvalidDataException>().WithMessage("Bbn:Backbone:Pretrained = '*resnet18.pth': * tensors have another shape than this backbone's: *resnet18's for resnet18*");

        // The same file without one tensor: strict stops and names it; not strict loads the rest and reports it.
        string partial = Path.Combine(work, "partial.pth");
        using (var stream = File.OpenRead(path))
        {
            var state = PyTorchUnpickler.UnpickleStateDict(stream);
            state.Remove("layer2.0.bn1.running_var");
            using var output = File.Create(partial);
            PyTorchPickler.PickleStateDict(output, state.Cast<DictionaryEntry>().ToDictionary(e => (string)e.Key, e => (Tensor)e.Value!));
        }
        using var resnet18 = Network("resnet18", 3, out var layout18);
        var strict = () => PretrainedWeights.Apply(resnet18, layout18, "resnet18", partial, strict: true);
        strict.Should().Throw<InvalidDataException>().WithMessage("*missing layers.layer2_0.bn1.running_var; unexpected none*Bbn:Backbone:PretrainedStrict=false*");
        var loose = PretrainedWeights.Apply(resnet18, layout18, "resnet18", partial, strict: false);
        loose.Missing.Should().Equal("layers.layer2_0.bn1.running_var");
    }

    [Fact]
    public void A_file_that_is_not_a_state_dict_and_a_backbone_without_a_twin_are_refused_by_name()
    {
        string junk = Path.Combine(work, "junk.pth");
        File.WriteAllText(junk, "not a state_dict");
        using var resnet18 = Network("resnet18", 3, out var layout);
        using var resnet32 = Network("resnet32", 3, out var none);

        var notStateDict = () => PretrainedWeights.Apply(resnet18, layout, "resnet18", junk, strict: true);
        var noTwin = () => PretrainedWeights.Apply(resnet32, none, "resnet32", junk, strict: true);

        notStateDict.Should().Throw<InvalidDataException>().WithMessage("Bbn:Backbone:Pretrained = '*junk.pth' is neither a state_dict saved with torch.save*");
        none.Should().BeNull();
        noTwin.Should().Throw<InvalidDataException>().WithMessage("*backbone 'resnet32' has no twin in torchvision or timm*");
    }

    [Fact]
    public async Task The_fine_tuning_recipe_trains_from_a_torchvision_file_and_a_missing_file_is_one_line_at_start()
    {
        RunPython("resnet50", 3);
        string data = ImageFiles.WriteFolders(Path.Combine(work, "folders"), [6, 4, 2], testPerClass: 2);
        string[] common = ["train", "--recipe", "finetune-resnet50-imagenet", $"--Bbn:Dataset:Root={data}", "--Bbn:Dataset:Size=32", "--Bbn:Dataset:ResizeTo=36",
            "--Bbn:Training:Epochs=1", "--Bbn:Training:BatchSize=4", "--Bbn:Training:MaxStepsPerEpoch=1", "--Bbn:Validation:Split=none",
            $"--Bbn:Training:OutputDirectory={Path.Combine(work, "runs")}"];

        var (code, _, error) = await AppRunner.Run([.. common, "--Bbn:Training:RunName=tuned", $"--Bbn:Backbone:Pretrained={Path.Combine(work, "resnet50.pth")}"]);
        var (missingCode, _, missingError) = await AppRunner.Run([.. common, "--Bbn:Training:RunName=missing", "--Bbn:Backbone:Pretrained=nowhere/resnet50.pth"]);

        error.Should().BeEmpty();
        code.Should().Be(0);
        File.Exists(Path.Combine(work, "runs", "tuned", "summary.json")).Should().BeTrue();
        missingCode.Should().Be(2);
        missingError.Should().Contain("Bbn:Backbone:Pretrained = 'nowhere/resnet50.pth'").And.Contain("does not exist");
    }

    private void RunPython(string arch, int channels)
    {
        Assert.SkipUnless(HasTorchvision(), "needs Debian's python3-torchvision for torchvision's own ResNet (scripts/install-test-tools.sh installs it)");
        var start = new ProcessStartInfo(Python)
        {
            ArgumentList = { Path.Combine(AppContext.BaseDirectory, "python", "torchvision_features.py"), arch, channels.ToString(System.Globalization.CultureInfo.InvariantCulture), work },
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        using var process = Process.Start(start)!;
        string stdout = process.StandardOutput.ReadToEnd();
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        process.ExitCode.Should().Be(0, stderr);
        stdout.Should().StartWith("ok");
    }

    private static bool HasTorchvision()
    {
        if (!File.Exists(Python)) return false;
        using var probe = Process.Start(new ProcessStartInfo(Python, ["-c", "import torchvision"]) { RedirectStandardError = true })!;
        probe.StandardError.ReadToEnd();
        probe.WaitForExit();
        return probe.ExitCode == 0;
    }

    private (Tensor Input, Tensor Features) ReadFeatures()
    {
        using var stream = File.OpenRead(Path.Combine(work, "features.pth"));
        var table = PyTorchUnpickler.UnpickleStateDict(stream);
        return ((Tensor)table["input"]!, (Tensor)table["features"]!);
    }

    public void Dispose() => Directory.Delete(work, recursive: true);
}
