using System.CommandLine;

namespace Agentic.Cli.Commands;

/// <summary><c>agentic experiment ...</c>: measured comparisons that back the project's claims (one subcommand each).</summary>
internal static class ExperimentCommand
{
    public static Command Create()
    {
        var command = new Command("experiment", "Run a measured experiment");
        command.Subcommands.Add(ExperimentHeavyThinkingCommand.Create());
        command.Subcommands.Add(ExperimentRlCommands.Noise());
        command.Subcommands.Add(ExperimentRlCommands.Dgg());
        command.Subcommands.Add(ExperimentRlCommands.SelfVerify());
        return command;
    }
}
