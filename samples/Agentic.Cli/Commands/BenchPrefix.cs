using System.CommandLine;
using System.Diagnostics;
using Agentic.Cli.Jobs;
using Agentic.Core.Chat;
using Agentic.Rl.Checkpoints;
using Agentic.Rl.Export;
using Agentic.Training.Evaluation;
using Agentic.Training.Tasks;
using Spectre.Console;

namespace Agentic.Cli.Commands;

/// <summary>
/// <c>agentic bench prefix --policy DIR</c>: held-out agent episodes decoded by ONNX Runtime with and without reusing
/// the keys and values of earlier turns (<see cref="Agentic.Core.Inference.OnnxPolicyOptions.PrefixCacheMegabytes"/>),
/// alternating in one process: the wall-clock ratio, the share of prompt tokens reused, and whether every episode
/// ended the same.
/// </summary>
internal static class BenchPrefix
{
    public static Command Create()
    {
        var policy = new Option<string>("--policy") { Description = "Checkpoint folder of an agent policy", Required = true };
        var suite = new Option<string>("--suite") { Description = "Suite whose held-out tasks are run", DefaultValueFactory = _ => "tooluse" };
        var scale = new Option<SuiteScale>("--scale") { Description = "Suite size preset", DefaultValueFactory = _ => SuiteScale.Small };
        var episodes = new Option<int>("--episodes") { Description = "Held-out tasks per run", DefaultValueFactory = _ => 256 };
        var maxTurns = new Option<int>("--max-turns") { Description = "Turn limit per episode", DefaultValueFactory = _ => 8 };
        var repeats = new Option<int>("--repeats") { Description = "Timed runs of each mode, alternating (the median is reported)", DefaultValueFactory = _ => 3 };
        var seed = new Option<ulong>("--seed") { Description = "Base episode seed", DefaultValueFactory = _ => 1UL };
        var json = new Option<string?>("--json") { Description = "Write the figures as JSON to this file" };
        var command = new Command("prefix", "Agent evaluation on ONNX Runtime with and without reusing earlier turns' keys and values")
        {
            policy, suite, scale, episodes, maxTurns, repeats, seed, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var loaded = PolicyCheckpoint.Load(parse.GetValue(policy)!);
            using var model = loaded.Model;
            var taskSuite = TaskSuites.Create(parse.GetValue(suite)!, parse.GetValue(scale));
            bool listTools = !(loaded.Metadata.TryGetValue(SuiteSftJob.TemplateToolsKey, out var include) && include == "false");
            var template = new ChatTemplate(loaded.Tokenizer, new ChatTemplateOptions { IncludeToolsInSystemPrompt = listTools });
            int count = Math.Max(1, parse.GetValue(episodes)), turns = Math.Max(1, parse.GetValue(maxTurns)), runs = Math.Max(1, parse.GetValue(repeats));
            int concurrency = Math.Clamp(Environment.ProcessorCount, 1, 8);

            var seconds = new Dictionary<bool, List<double>> { [false] = [], [true] = [] };
            var outcomes = new Dictionary<bool, bool[]>();
            long prompt = 0, reused = 0;
            for (int run = 0; run < runs; run++)
            {
                foreach (var reuse in new[] { false, true })
                {
                    using var session = OnnxPolicyExporter.OpenSession(model, o =>
                    {
                        o.PadTokenId = loaded.Tokenizer.EndOfTextId;
                        o.IntraOpThreads = 1;
                        if (!reuse) o.PrefixCacheMegabytes = 0;
                    });
                    var loop = SuiteSftJob.CreateLoop(session, model.Config.MaxPositionEmbeddings, loaded.Tokenizer, template, turns);
                    var clock = Stopwatch.StartNew();
                    var (_, trajectories) = await AgentEvaluator.EvaluateAsync(taskSuite, loop, count, seed: parse.GetValue(seed),
                        batchSize: SuiteEvaluation.BatchSize, cancellationToken: cancellationToken, maxConcurrency: concurrency);
                    seconds[reuse].Add(clock.Elapsed.TotalSeconds);
                    outcomes[reuse] = [.. trajectories.Select(t => t.Success)];
                    if (reuse) (prompt, reused) = (session.PromptTokens, session.ReusedPromptTokens);
                }
            }
            double off = TrainBenchmark.Median(seconds[false]), on = TrainBenchmark.Median(seconds[true]);
            int same = outcomes[false].Zip(outcomes[true]).Count(p => p.First == p.Second);
            double share = prompt == 0 ? 0 : (double)reused / prompt;
            var table = new Table().AddColumns("figure", "without reuse", "with reuse", "ratio");
            table.AddRow("seconds (median)", off.ToString("F2"), on.ToString("F2"), $"{off / on:F2}x");
            table.AddRow("success", $"{outcomes[false].Average(o => o ? 1.0 : 0.0):P1}", $"{outcomes[true].Average(o => o ? 1.0 : 0.0):P1}", "");
            table.AddRow("prompt tokens reused", "", $"{reused:N0} of {prompt:N0} ({share:P0})", "");
            table.AddRow("episodes ending the same", "", $"{same} of {count}", "");
            AnsiConsole.Write(table);
            AnsiConsole.WriteLine($"{loaded.Directory}: {count} {parse.GetValue(suite)} tasks, {runs} runs per mode, {concurrency} batches of {SuiteEvaluation.BatchSize} at once, one thread each");
            if (parse.GetValue(json) is { } path)
            {
                JsonOutput.Write(path, new Dictionary<string, object?>
                {
                    ["prefix_reuse_speedup"] = off / on,
                    ["seconds_without_reuse"] = off,
                    ["seconds_with_reuse"] = on,
                    ["reused_prompt_token_share"] = share,
                    ["episodes"] = count,
                    ["episodes_ending_the_same"] = same,
                    ["success_without_reuse"] = outcomes[false].Average(o => o ? 1.0 : 0.0),
                    ["success_with_reuse"] = outcomes[true].Average(o => o ? 1.0 : 0.0),
                    ["suite"] = parse.GetValue(suite),
                });
            }
            return 0;
        });
        return command;
    }
}
