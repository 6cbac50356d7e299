using System.Reflection;
using Bbn.Abstractions;
using McMaster.NETCore.Plugins;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using TorchSharp;

namespace Bbn.Hosting.Plugins;

/// <summary>
/// Discovers plugin assemblies (&lt;directory&gt;/&lt;Name&gt;/&lt;Name&gt;.dll), loads each in its own
/// load context with the contracts, TorchSharp and the Microsoft.Extensions abstractions shared
/// with the host, checks the contracts version, and runs the registrars into a catalog.
/// </summary>
public static class PluginKernel
{
    private static readonly Type[] SharedTypes =
    [
        typeof(IPluginRegistrar),
        typeof(torch),
        typeof(IServiceCollection),
        typeof(IConfiguration),
        typeof(ConfigurationBinder),
    ];

    private static readonly AssemblyName ContractsAssembly = typeof(IPluginRegistrar).Assembly.GetName();

    /// <summary>Resolves the configured directories against <paramref name="baseDirectory"/> and loads every plugin.</summary>
    public static ComponentCatalog Load(IEnumerable<string> directories, string baseDirectory, bool allowWritable = false, IReadOnlyDictionary<string, string>? trusted = null)
    {
        var catalog = new ComponentCatalog();
        foreach (string assemblyPath in Assemblies(directories, baseDirectory))
        {
            if (!allowWritable)
            {
                RefuseWritable(Path.GetDirectoryName(assemblyPath)!);
                RefuseWritable(assemblyPath);
            }
            if (trusted is { Count: > 0 }) CheckPinned(assemblyPath, trusted);
            LoadPlugin(assemblyPath, catalog);
        }
        return catalog;
    }

    /// <summary>Every plugin assembly under the configured directories, in load order; throws <see cref="PluginLoadException"/> for a missing directory or a misplaced file.</summary>
    public static IEnumerable<string> Assemblies(IEnumerable<string> directories, string baseDirectory, bool allowWritable = true)
    {
        int index = 0;
        foreach (string configured in directories)
        {
            string directory = Path.GetFullPath(Path.Combine(baseDirectory, configured));
            if (!Directory.Exists(directory))
                throw new PluginLoadException(
                    $"{PluginOptions.Section}:Directories:{index} = '{configured}' does not exist (resolved to {directory}). " +
                    "Create it, or point the setting at the folder that holds the plugin folders.");
            if (!allowWritable) RefuseWritable(directory);
            foreach (string assemblyPath in FindPluginAssemblies(directory)) yield return assemblyPath;
            index++;
        }
    }

    /// <summary>The SHA-256 of a plugin assembly, as Bbn:Plugins:Trusted records it (lower-case hex).</summary>
    public static string Hash(string assemblyPath)
    {
        using var stream = File.OpenRead(assemblyPath);
        return Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(stream));
    }

    private static void CheckPinned(string assemblyPath, IReadOnlyDictionary<string, string> trusted)
    {
        string name = Path.GetFileNameWithoutExtension(assemblyPath);
        string actual = Hash(assemblyPath);
        var pinned = trusted.FirstOrDefault(kv => string.Equals(kv.Key, name, StringComparison.OrdinalIgnoreCase)).Value;
        if (pinned is null)
            throw new PluginLoadException(
                $"Plugin {name} ({assemblyPath}) is not in {PluginOptions.Section}:Trusted, which pins every plugin: add {PluginOptions.Section}:Trusted:{name}={actual} " +
                "if you trust this file (the trust verb prints every plugin's line), or remove the plugin.");
        if (!string.Equals(pinned.Trim(), actual, StringComparison.OrdinalIgnoreCase))
            throw new PluginLoadException(
                $"Plugin {name} ({assemblyPath}) does not match {PluginOptions.Section}:Trusted:{name}: its SHA-256 is {actual}, the pinned one {pinned}. " +
                "The file changed since it was pinned: reinstall the trusted build, or pin the new one if you trust it.");
    }

    /// <summary>
    /// A plugin folder or assembly that users other than its owner may write to lets them run code in
    /// the trainer: refused, with the fix, unless Bbn:Plugins:AllowWritable says otherwise.
    /// </summary>
    private static void RefuseWritable(string path)
    {
        if (OperatingSystem.IsWindows()) return;
        var mode = File.GetUnixFileMode(path);
        if ((mode & (UnixFileMode.GroupWrite | UnixFileMode.OtherWrite)) == 0) return;
        string octal = Convert.ToString((int)mode & 0x1FF, 8);
        throw new PluginLoadException(
            $"{path} may be written by users other than its owner (mode {octal}): whoever can write there runs code in the trainer. " +
            $"Remove that permission (chmod go-w '{path}'), or set {PluginOptions.Section}:AllowWritable=true to load it anyway.");
    }

    private static IEnumerable<string> FindPluginAssemblies(string directory)
    {
        foreach (string loose in Directory.GetFiles(directory, "*.dll").Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileNameWithoutExtension(loose);
            throw new PluginLoadException(
                $"{loose} lies directly in the plugin directory. Put each plugin in its own folder: move it to {Path.Combine(directory, name, name + ".dll")} (with its dependencies beside it).");
        }
        foreach (string folder in Directory.GetDirectories(directory).Order(StringComparer.Ordinal))
        {
            string name = Path.GetFileName(folder);
            string assembly = Path.Combine(folder, name + ".dll");
            if (!File.Exists(assembly))
                throw new PluginLoadException(
                    $"Plugin folder {folder} holds no {name}.dll. A plugin folder is named after its assembly: <plugins>/<Name>/<Name>.dll; rename the folder or remove it.");
            yield return assembly;
        }
    }

    private static void LoadPlugin(string path, ComponentCatalog catalog)
    {
        AssemblyName name = ReadAssemblyName(path);
        CheckContractsVersion(path, name);
        var loader = PluginLoader.CreateFromAssemblyFile(path, SharedTypes, config => config.PreferSharedTypes = true);
        try
        {
            Assembly assembly = loader.LoadDefaultAssembly();
            var plugin = new PluginInfo(name.Name!, assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? name.Version?.ToString() ?? "?", path);
            var registrars = assembly.GetTypes()
                .Where(t => t is { IsAbstract: false, IsInterface: false } && typeof(IPluginRegistrar).IsAssignableFrom(t))
                .ToList();
            if (registrars.Count == 0)
                throw new PluginLoadException(
                    $"{path} is a .NET assembly but has no public type implementing {nameof(IPluginRegistrar)}. Add one (with a parameterless constructor) that registers the plugin's components.");
            foreach (var registrarType in registrars)
            {
                var registrar = (IPluginRegistrar)(Activator.CreateInstance(registrarType)
                    ?? throw new PluginLoadException($"{registrarType.FullName} in {path} could not be created."));
                registrar.Register(catalog.RegistryFor(plugin));
            }
        }
        catch (Exception e) when (MissingDependency(e) is { } missing)
        {
            throw new PluginLoadException(
                $"Plugin {name.Name} ({path}) needs '{missing}', which is neither in its folder {Path.GetDirectoryName(path)} nor provided by the host. " +
                "Copy that assembly next to the plugin (dotnet publish the plugin to get its dependencies), or remove the plugin.", e);
        }
        catch (Exception e) when (e is MissingMethodException or TypeLoadException)
        {
            throw new PluginLoadException($"Plugin {name.Name} ({path}) was built against different contracts than the host's {ContractsAssembly.Name} {ContractsAssembly.Version}: {e.Message} Rebuild it against this version.", e);
        }
        catch (Exception e) when (e is not PluginLoadException)
        {
            // A registrar is the plugin's own code: whatever it throws is the plugin's failure, named, not the host's crash.
            var inner = e is TargetInvocationException { InnerException: { } cause } ? cause : e;
            throw new PluginLoadException($"Plugin {name.Name} ({path}) failed while registering its components: {inner.GetType().Name}: {inner.Message} Fix the plugin or remove it.", inner);
        }
    }

    private static AssemblyName ReadAssemblyName(string path)
    {
        try
        {
            return AssemblyName.GetAssemblyName(path);
        }
        catch (BadImageFormatException e)
        {
            throw new PluginLoadException(
                $"{path} is not a .NET assembly. A plugin folder holds the plugin's managed DLL and its dependencies; remove this file or replace it with the plugin built for net10.0.", e);
        }
    }

    /// <summary>A plugin must be built against the host's contracts major version, and no newer minor version.</summary>
    private static void CheckContractsVersion(string path, AssemblyName plugin)
    {
        using var context = new MetadataPeek(path);
        var referenced = context.ReferencedAssemblies().FirstOrDefault(r => r.Name == ContractsAssembly.Name);
        if (referenced?.Version is null) return; // no reference: the missing-registrar error explains it
        Version host = ContractsAssembly.Version!;
        if (referenced.Version.Major != host.Major || referenced.Version.Minor > host.Minor)
            throw new PluginLoadException(
                $"Plugin {plugin.Name} ({path}) was built against {ContractsAssembly.Name} {referenced.Version}, but this host provides {host}. " +
                $"Rebuild the plugin against {ContractsAssembly.Name} {host.Major}.{host.Minor} (the version of this framework), or use a host of the plugin's version.");
    }

    private static string? MissingDependency(Exception e) => e switch
    {
        FileNotFoundException { FileName: { } file } => file,
        FileLoadException { FileName: { } file } => file,
        ReflectionTypeLoadException r => r.LoaderExceptions.Select(l => l is null ? null : MissingDependency(l)).FirstOrDefault(m => m is not null),
        TargetInvocationException { InnerException: { } inner } => MissingDependency(inner),
        TypeInitializationException { InnerException: { } inner } => MissingDependency(inner),
        _ => null,
    };
}
