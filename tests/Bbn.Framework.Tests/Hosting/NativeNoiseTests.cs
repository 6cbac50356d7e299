using System.Runtime.InteropServices;
using Bbn.Core.Runtime;
using Bbn.Hosting.Runtime;
using Bbn.Hosting.Verbs;
using FluentAssertions;

namespace Bbn.Framework.Tests;

/// <summary>libtorch's own lines stay out of the terminal; a native error is one line, its frames go to the log.</summary>
[Collection(TorchCollection.Name)]
public sealed class NativeNoiseTests
{
    [Fact]
    public void Loading_libtorch_leaves_its_log_at_errors_only_unless_the_environment_chose_a_level()
    {
        TorchRuntime.EnsureLoaded();
        string? chosen = Environment.GetEnvironmentVariable(LibTorchLog.Variable);
        int expected = chosen switch
        {
            null => 2,
            "INFO" or "0" => 0,
            "WARNING" or "1" => 1,
            "ERROR" or "2" => 2,
            _ => 3,
        };
        LibTorchLog.CurrentLevel().Should().Be(expected, "c10's minimum level is ERROR (2) by default, the user's TORCH_CPP_LOG_LEVEL otherwise");
        TorchRuntime.NativeLog!.Level.Should().Be(chosen ?? "ERROR");
    }

    [Fact]
    public void A_native_error_is_reported_as_its_first_sentence_on_one_line()
    {
        const string native = "Unknown scalar type.\nException raised from type at /pytorch/c10/core/Scalar.h:339 (most recent call first):\n" +
                              "frame #0: c10::Error::Error(c10::SourceLocation, std::string) + 0x52\nframe #3: at::native::mul_(at::Tensor&, c10::Scalar const&)";
        var outcome = new RunOutcome();
#pragma warning disable CA2201 // TorchSharp raises exactly this type for libtorch errors
        outcome.Fail(new ExternalException(native));
#pragma warning restore CA2201

        outcome.Failure.Should().NotContain("\n").And.NotContain("frame #").And.StartWith("libtorch: Unknown scalar type.");
        outcome.Cause!.Message.Should().Contain("frame #3", "--verbose and the log at Debug keep the frames");
        outcome.ExitCode.Should().Be(1);
    }

    [Fact]
    public void A_managed_error_keeps_its_message()
    {
        var outcome = new RunOutcome();
        outcome.Fail(new InvalidDataException("Checkpoint x.bbn is damaged: it is truncated."));
        outcome.Failure.Should().Be("Checkpoint x.bbn is damaged: it is truncated.");
    }
}
