using System.CommandLine;

namespace Agentic.Cli.Commands;

/// <summary>The <c>agentic</c> command line: builds the command tree and runs it.</summary>
internal static class AgenticCommandLine
{
    public static RootCommand Build()
    {
        var root = new RootCommand("agentic: train, evaluate and serve noise-robust agent policies (Agentic for .NET)");
        root.Subcommands.Add(TrainCommand.Create());
        root.Subcommands.Add(SftCommand.Create());
        root.Subcommands.Add(GenerateCommand.Create());
        root.Subcommands.Add(BenchCommand.Create());
        root.Subcommands.Add(EvalCommand.Create());
        root.Subcommands.Add(ExportOnnxCommand.Create());
        root.Subcommands.Add(ChatCommand.Create());
        root.Subcommands.Add(ExperimentCommand.Create());
        return root;
    }

    public static Task<int> InvokeAsync(string[] args)
    {
        var configuration = new InvocationConfiguration
        {
            // Commands handle Ctrl+C themselves (GracefulCancellation) so that training can finish its step and write
            // the last good checkpoint before the process ends.
            ProcessTerminationTimeout = null,
        };
        return Build().Parse(args).InvokeAsync(configuration);
    }
}
