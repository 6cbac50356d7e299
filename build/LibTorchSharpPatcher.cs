// MSBuild inline task (RoslynCodeTaskFactory): writes a patched copy of libLibTorchSharp.so when
// the system libstdc++ lacks GLIBCXX_3.4.32. See Bbn.TorchRuntime.targets for the why.
#nullable enable
using System;
using System.IO;
using System.Text;
using Microsoft.Build.Framework;
using Microsoft.Build.Utilities;

public sealed class BbnPatchLibTorchSharpTask : Task
{
    private const string NeededVersion = "GLIBCXX_3.4.32";
    private const string UnavailableSymbol = "_ZSt21ios_base_library_initv";
    private const string SubstituteSymbol = "_ZSt15get_new_handlerv";
    private const ushort VerFlagWeak = 0x2;
    private const uint ShtGnuVerneed = 0x6ffffffe;

    private static readonly string[] LibStdCxxCandidates =
    {
        "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/lib/x86_64-linux-gnu/libstdc++.so.6",
        "/usr/lib64/libstdc++.so.6",
        "/lib64/libstdc++.so.6",
        "/usr/lib/libstdc++.so.6",
    };

    [Required] public string Source { get; set; } = "";
    [Required] public string OutputDirectory { get; set; } = "";
    [Output] public string Result { get; set; } = "";

    public override bool Execute()
    {
        string? systemLib = Array.Find(LibStdCxxCandidates, File.Exists);
        if (systemLib is null)
        {
            Log.LogMessage(MessageImportance.Low, "No system libstdc++.so.6 found; libLibTorchSharp.so left as shipped.");
            return true;
        }
        if (Contains(File.ReadAllBytes(systemLib), Encoding.ASCII.GetBytes(NeededVersion + "\0")))
        {
            Log.LogMessage(MessageImportance.Low, $"{systemLib} provides {NeededVersion}; no patch needed.");
            return true;
        }

        string target = Path.Combine(OutputDirectory, "libLibTorchSharp.so");
        if (File.Exists(target) && File.GetLastWriteTimeUtc(target) >= File.GetLastWriteTimeUtc(Source))
        {
            Result = target;
            return true;
        }

        byte[] elf = File.ReadAllBytes(Source);
        string? failure = Patch(elf);
        if (failure is not null)
        {
            Log.LogError($"Cannot make {Source} loadable on this host ({systemLib} lacks {NeededVersion}): {failure}. " +
                         "Install a libstdc++ from GCC 13 or newer, or use a newer distribution.");
            return false;
        }
        Directory.CreateDirectory(OutputDirectory);
        string temporary = target + ".tmp";
        File.WriteAllBytes(temporary, elf);
        if (File.Exists(target)) File.Delete(target);
        File.Move(temporary, target);
        Log.LogMessage(MessageImportance.Normal, $"{systemLib} lacks {NeededVersion}: using patched {target}.");
        Result = target;
        return true;
    }

    private static string? Patch(byte[] elf)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F' || elf[4] != 2)
            return "not a 64-bit ELF file";
        long sectionTable = (long)BitConverter.ToUInt64(elf, 0x28);
        int sectionSize = BitConverter.ToUInt16(elf, 0x3A);
        int sectionCount = BitConverter.ToUInt16(elf, 0x3C);

        for (int i = 0; i < sectionCount; i++)
        {
            long header = sectionTable + (long)i * sectionSize;
            if (BitConverter.ToUInt32(elf, (int)header + 4) != ShtGnuVerneed) continue;
            long offset = (long)BitConverter.ToUInt64(elf, (int)header + 0x18);
            int link = (int)BitConverter.ToUInt32(elf, (int)header + 0x28);
            int needCount = (int)BitConverter.ToUInt32(elf, (int)header + 0x2C);
            long strings = (long)BitConverter.ToUInt64(elf, (int)(sectionTable + (long)link * sectionSize) + 0x18);
            long stringsSize = (long)BitConverter.ToUInt64(elf, (int)(sectionTable + (long)link * sectionSize) + 0x20);

            bool weakened = false;
            long need = offset;
            for (int n = 0; n < needCount; n++)
            {
                int auxCount = BitConverter.ToUInt16(elf, (int)need + 2);
                long aux = need + BitConverter.ToUInt32(elf, (int)need + 8);
                for (int a = 0; a < auxCount; a++)
                {
                    string name = ReadString(elf, strings + BitConverter.ToUInt32(elf, (int)aux + 8));
                    if (name == NeededVersion)
                    {
                        ushort flags = BitConverter.ToUInt16(elf, (int)aux + 4);
                        BitConverter.GetBytes((ushort)(flags | VerFlagWeak)).CopyTo(elf, (int)aux + 4);
                        weakened = true;
                    }
                    aux += BitConverter.ToUInt32(elf, (int)aux + 12);
                }
                need += BitConverter.ToUInt32(elf, (int)need + 12);
            }
            if (!weakened) return $"no version need {NeededVersion} found";

            byte[] symbol = Encoding.ASCII.GetBytes("\0" + UnavailableSymbol + "\0");
            int at = IndexOf(elf, symbol, (int)strings, (int)(strings + stringsSize));
            if (at < 0) return $"symbol {UnavailableSymbol} not found in .dynstr";
            byte[] replacement = new byte[UnavailableSymbol.Length];
            Encoding.ASCII.GetBytes(SubstituteSymbol).CopyTo(replacement, 0);
            replacement.CopyTo(elf, at + 1);
            return null;
        }
        return "no .gnu.version_r section";
    }

    private static string ReadString(byte[] data, long start)
    {
        int end = (int)start;
        while (data[end] != 0) end++;
        return Encoding.ASCII.GetString(data, (int)start, end - (int)start);
    }

    private static bool Contains(byte[] data, byte[] pattern) => IndexOf(data, pattern, 0, data.Length) >= 0;

    private static int IndexOf(byte[] data, byte[] pattern, int from, int to)
    {
        int last = Math.Min(to, data.Length) - pattern.Length;
        for (int i = from; i <= last; i++)
        {
            int j = 0;
            while (j < pattern.Length && data[i + j] == pattern[j]) j++;
            if (j == pattern.Length) return i;
        }
        return -1;
    }
}
