using System.CommandLine;
using Agentic.Cli.Jobs;
using Spectre.Console;

namespace Agentic.Cli.Commands;

/// <summary><c>agentic bench ...</c>: measurements that print ratios against a baseline run in the same process.</summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var command = new Command("bench", "Benchmarks (ratios against a same-process baseline)");
        command.Subcommands.Add(CreateTrain());
        command.Subcommands.Add(BenchInference.Create());
        return command;
    }

    private static Command CreateTrain()
    {
        var batch = new Option<int>("--batch-size") { Description = "Sequences per step", DefaultValueFactory = _ => 64 };
        var steps = new Option<int>("--steps") { Description = "Timed steps", DefaultValueFactory = _ => 20 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed warm-up steps", DefaultValueFactory = _ => 5 };
        var seed = new Option<ulong>("--seed") { Description = "Seed", DefaultValueFactory = _ => 1UL };
        var json = new Option<string?>("--json") { Description = "Write the figures as JSON to this file" };
        var command = new Command("train", "Training tokens/s of the default policy and the step's time over its matmuls' time")
        {
            batch, steps, warmup, seed, json,
        };
        command.SetAction((parse, _) =>
        {
            var r = TrainBenchmark.Run(parse.GetValue(batch), parse.GetValue(steps), parse.GetValue(warmup), parse.GetValue(seed));
            var table = new Table().AddColumns("figure", "value");
            table.AddRow("batch x tokens per step", $"{r.BatchSize} x {r.TokensPerStep / r.BatchSize:F1}");
            table.AddRow("training tokens/s", r.TokensPerSecond.ToString("N0"));
            table.AddRow("step time / matmul time", $"{r.StepToMatmulRatio:F2}x");
            table.AddRow("forward : backward : optimizer", $"{r.ForwardMilliseconds / r.StepMilliseconds:P0} : {r.BackwardMilliseconds / r.StepMilliseconds:P0} : {r.OptimizerMilliseconds / r.StepMilliseconds:P0} of a step");
            table.AddRow("matmuls per step", $"{r.MatmulCount} ({r.MatmulGflops:F2} GFLOP, {r.MatmulGflopsPerSecond:F0} GFLOP/s alone)");
            table.AddRow("threads", r.Threads.ToString());
            AnsiConsole.Write(table);
            if (parse.GetValue(json) is { } path)
            {
                JsonOutput.Write(path, new Dictionary<string, object?>
                {
                    ["tokens_per_second"] = r.TokensPerSecond,
                    ["step_to_matmul_ratio"] = r.StepToMatmulRatio,
                    ["step_ms"] = r.StepMilliseconds,
                    ["matmul_ms"] = r.MatmulMilliseconds,
                    ["forward_ms"] = r.ForwardMilliseconds,
                    ["backward_ms"] = r.BackwardMilliseconds,
                    ["optimizer_ms"] = r.OptimizerMilliseconds,
                    ["matmul_count"] = r.MatmulCount,
                    ["matmul_gflop"] = r.MatmulGflops,
                    ["batch_size"] = r.BatchSize,
                    ["tokens_per_step"] = r.TokensPerStep,
                    ["threads"] = r.Threads,
                });
            }
            return Task.FromResult(0);
        });
        return command;
    }
}
