using Microsoft.Extensions.Logging;
using Spectre.Console;

namespace Bbn.Hosting.Console;

/// <summary>
/// Log lines written through Spectre.Console, so that they print cleanly above a live progress
/// display (the default console logger writes between its redraws and garbles it).
/// </summary>
public sealed class AnsiConsoleLoggerProvider(IAnsiConsole console) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new Logger(console, categoryName);

    public void Dispose()
    {
    }

    private sealed class Logger(IAnsiConsole console, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel)) return;
            string line = $"{DateTime.Now:HH:mm:ss} {Level(logLevel)}: {category}[{eventId.Id}] {formatter(state, exception)}";
            if (exception is not null) line += Environment.NewLine + exception;
            string? colour = logLevel >= LogLevel.Error ? "red" : logLevel == LogLevel.Warning ? "yellow" : null;
            console.MarkupLine(colour is null ? Markup.Escape(line) : $"[{colour}]{Markup.Escape(line)}[/]");
        }

        private static string Level(LogLevel level) => level switch
        {
            LogLevel.Trace => "trce",
            LogLevel.Debug => "dbug",
            LogLevel.Information => "info",
            LogLevel.Warning => "warn",
            LogLevel.Error => "fail",
            _ => "crit",
        };
    }
}
