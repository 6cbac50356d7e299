using System.Reflection;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;

namespace Bbn.Hosting.Plugins;

/// <summary>Reads an assembly's references from its metadata without loading it.</summary>
internal sealed class MetadataPeek(string path) : IDisposable
{
    private readonly FileStream stream = File.OpenRead(path);

    public IEnumerable<AssemblyName> ReferencedAssemblies()
    {
        using var pe = new PEReader(stream, PEStreamOptions.LeaveOpen);
        var metadata = pe.GetMetadataReader();
        return metadata.AssemblyReferences.Select(h => metadata.GetAssemblyReference(h).GetAssemblyName()).ToList();
    }

    public void Dispose() => stream.Dispose();
}
