using System.CommandLine;
using System.ComponentModel.DataAnnotations;
using Agentic.Rl.Checkpoints;
using Agentic.Rl.Training;

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

    public static async Task<int> InvokeAsync(string[] args)
    {
        var configuration = new InvocationConfiguration
        {
            // Commands handle Ctrl+C themselves (GracefulCancellation) so that training can finish its step and write
            // the last good checkpoint before the process ends.
            ProcessTerminationTimeout = null,
            EnableDefaultExceptionHandler = false,
        };
        try
        {
            return await Build().Parse(args).InvokeAsync(configuration);
        }
        catch (Exception ex) when (IsBadInput(ex))
        {
            // Bad input (a corrupt checkpoint, invalid options, a diverged loss) is reported as one line, not a stack trace.
            Console.Error.WriteLine($"error: {ex.Message}");
            return 1;
        }
    }

    private static bool IsBadInput(Exception ex) =>
        ex is CheckpointException or ValidationException or NonFiniteLossException or FileNotFoundException or DirectoryNotFoundException;
}
