using Bbn.Core.Runtime;
using Bbn.Hosting;

// Before anything else: tcmalloc, where installed, halves the run's peak memory (re-executes once).
NativeAllocator.PreloadIfPresent();
return await BbnApplication.RunAsync(args, Console.Out, Console.Error);
