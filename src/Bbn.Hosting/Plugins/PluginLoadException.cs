namespace Bbn.Hosting.Plugins;

/// <summary>A plugin could not be loaded or registered; the message names the file and the fix.</summary>
public sealed class PluginLoadException(string message, Exception? inner = null) : Exception(message, inner);
