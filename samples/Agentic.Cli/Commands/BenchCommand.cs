using System.CommandLine;

namespace Agentic.Cli.Commands;

/// <summary><c>agentic bench ...</c>: measurements that print ratios against a baseline run in the same process.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var command = new Command("bench", "Benchmarks (ratios against a same-process baseline)");
        return command;
    }
}
