using Bbn.Hosting;

return await BbnApplication.RunAsync(args, Console.Out, Console.Error);
