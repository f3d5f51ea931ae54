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
        command.Subcommands.Add(BenchPrefix.Create());
        command.Subcommands.Add(CreateAsync());
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

    private static Command CreateAsync()
    {
        var d = new AsyncBenchSettings();
        var output = new Option<string>("--out") { Description = "Output folder (the starting policy)", DefaultValueFactory = _ => d.OutputDirectory };
        var suites = new Option<string>("--suites") { Description = "Comma-separated suites", DefaultValueFactory = _ => string.Join(",", d.Suites) };
        var from = new Option<string?>("--from") { Description = "Starting policy checkpoint (default: a short SFT warm start)" };
        var demos = new Option<int>("--demos") { Description = "Demonstrations per suite of the warm start", DefaultValueFactory = _ => d.Demos };
        var sftSteps = new Option<int>("--sft-steps") { Description = "SFT steps of the warm start", DefaultValueFactory = _ => d.SftSteps };
        var steps = new Option<int>("--steps") { Description = "RL steps of each arm (the budget)", DefaultValueFactory = _ => d.Steps };
        var group = new Option<int>("--group-size") { Description = "Rollouts per task", DefaultValueFactory = _ => d.GroupSize };
        var tasks = new Option<int>("--tasks-per-step") { Description = "Groups per step", DefaultValueFactory = _ => d.TasksPerStep };
        var workers = new Option<int>("--workers") { Description = "Rollout workers of the asynchronous arm", DefaultValueFactory = _ => d.Workers };
        var staleness = new Option<int>("--max-staleness") { Description = "Staleness bound of the asynchronous arm", DefaultValueFactory = _ => d.MaxStaleness };
        var perBatch = new Option<int>("--requests-per-batch") { Description = "Groups a worker generates per batch", DefaultValueFactory = _ => d.RequestsPerBatch };
        var latency = new Option<double>("--latency-ms") { Description = "Scale of the Pareto tool latency in ms (0: no long tail)", DefaultValueFactory = _ => d.LatencyMs };
        var alpha = new Option<double>("--latency-alpha") { Description = "Tail index of the tool latency", DefaultValueFactory = _ => d.LatencyAlpha };
        var syncThreads = new Option<int>("--sync-threads") { Description = "Torch threads of the synchronous arm (0: default)", DefaultValueFactory = _ => d.SyncThreads };
        var asyncThreads = new Option<int>("--async-threads") { Description = "Torch threads of the asynchronous arm (0: default)", DefaultValueFactory = _ => d.AsyncThreads };
        var seed = new Option<ulong>("--seed") { Description = "Seed", DefaultValueFactory = _ => d.Seed };
        var json = new Option<string?>("--json") { Description = "Write the figures as JSON to this file" };
        var command = new Command("async", "Synchronous vs asynchronous RL on long-tailed rollouts: throughput, trainer idle fraction, final reward")
        {
            output, suites, from, demos, sftSteps, steps, group, tasks, workers, staleness, perBatch, latency, alpha, syncThreads, asyncThreads, seed, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new AsyncBenchSettings
            {
                OutputDirectory = parse.GetValue(output)!, Suites = [.. parse.GetValue(suites)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
                From = parse.GetValue(from), Demos = parse.GetValue(demos), SftSteps = parse.GetValue(sftSteps), Steps = parse.GetValue(steps),
                GroupSize = parse.GetValue(group), TasksPerStep = parse.GetValue(tasks), Workers = parse.GetValue(workers), MaxStaleness = parse.GetValue(staleness), RequestsPerBatch = parse.GetValue(perBatch),
                LatencyMs = parse.GetValue(latency), LatencyAlpha = parse.GetValue(alpha), SyncThreads = parse.GetValue(syncThreads), AsyncThreads = parse.GetValue(asyncThreads),
                Seed = parse.GetValue(seed),
            };
            var r = await AsyncBenchmark.RunAsync(settings, AnsiConsole.Console, cancellationToken);
            var table = new Table().AddColumns("arm", "torch threads", "seconds", "trajectories", "trajectories/s", "trainer idle", "final reward", "stale dropped", "mean staleness", "cpu busy");
            foreach (var arm in new[] { r.Sync, r.Async })
                table.AddRow(arm.Name, arm.Threads.ToString(), arm.Seconds.ToString("F1"), arm.Trajectories.ToString(), arm.TrajectoriesPerSecond.ToString("F2"),
                    arm.IdleFraction.ToString("P0"), arm.FinalReward.ToString("F3"), arm.StaleDropped.ToString(), arm.MeanStaleness.ToString("F2"), arm.CpuUtilization.ToString("P0"));
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"async / sync throughput: [bold]{r.ThroughputRatio:F2}x[/] ({settings.Workers} workers, tool latency mean {r.ToolLatencyMeanMs:F0} ms, p99 {r.ToolLatencyP99Ms:F0} ms)");
            if (parse.GetValue(json) is { } path)
            {
                JsonOutput.Write(path, new Dictionary<string, object?>
                {
                    ["async_vs_sync_throughput_ratio"] = r.ThroughputRatio,
                    ["trainer_idle_fraction_sync"] = r.Sync.IdleFraction,
                    ["trainer_idle_fraction_async"] = r.Async.IdleFraction,
                    ["trajectories_per_second_sync"] = r.Sync.TrajectoriesPerSecond,
                    ["trajectories_per_second_async"] = r.Async.TrajectoriesPerSecond,
                    ["final_reward_sync"] = r.Sync.FinalReward,
                    ["final_reward_async"] = r.Async.FinalReward,
                    ["seconds_sync"] = r.Sync.Seconds,
                    ["seconds_async"] = r.Async.Seconds,
                    ["trajectories"] = r.Sync.Trajectories,
                    ["threads_sync"] = r.Sync.Threads,
                    ["threads_async"] = r.Async.Threads,
                    ["workers"] = settings.Workers,
                    ["requests_per_batch"] = settings.RequestsPerBatch,
                    ["cpu_utilization_sync"] = r.Sync.CpuUtilization,
                    ["cpu_utilization_async"] = r.Async.CpuUtilization,
                    ["stale_dropped"] = r.Async.StaleDropped,
                    ["mean_staleness"] = r.Async.MeanStaleness,
                    ["tool_latency_mean_ms"] = r.ToolLatencyMeanMs,
                    ["tool_latency_p99_ms"] = r.ToolLatencyP99Ms,
                    ["steps"] = settings.Steps,
                    ["policy"] = r.Policy,
                });
            }
            return 0;
        });
        return command;
    }
}
