using System.CommandLine;
using System.Text.Json;
using Agentic.Core.Agents;
using Agentic.Core.Chat;
using Agentic.Rl.Checkpoints;
using Agentic.Training.Evaluation;
using Agentic.Training.Noise;
using Agentic.Training.Tasks;
using Microsoft.Extensions.AI;
using Spectre.Console;

namespace Agentic.Cli.Commands;

/// <summary><c>agentic eval --policy CHECKPOINT|expert|random --suite NAME --episodes N</c>.</summary>
internal static class EvalCommand
{
    public static Command Create()
    {
        var policy = new Option<string>("--policy") { Description = "expert (the suite's scripted expert), random, or a checkpoint folder", DefaultValueFactory = _ => "expert" };
        var suite = new Option<string>("--suite") { Description = "Suite name (see --list)", DefaultValueFactory = _ => "tooluse" };
        var episodes = new Option<int>("--episodes") { Description = "Held-out tasks to run", DefaultValueFactory = _ => 50 };
        var k = new Option<int>("--k") { Description = "Runs per task (Avg@k, Pass@k, Pass^k)", DefaultValueFactory = _ => 1 };
        var seed = new Option<ulong>("--seed") { Description = "Base episode seed", DefaultValueFactory = _ => 0UL };
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature of a checkpoint policy", DefaultValueFactory = _ => 0f };
        var json = new Option<string?>("--json") { Description = "Write the figures as JSON to this file" };
        var trajectories = new Option<string?>("--trajectories") { Description = "Write every trajectory as JSON lines to this file" };
        var list = new Option<bool>("--list") { Description = "List the suites and noise levels" };
        var scale = new Option<SuiteScale>("--scale") { Description = "Suite size preset (Standard or Small)", DefaultValueFactory = _ => SuiteScale.Standard };
        var maxTurns = new Option<int>("--max-turns") { Description = "Turn limit per episode", DefaultValueFactory = _ => 40 };
        var noise = new Option<NoiseLevel>("--noise") { Description = "Noise level, tool and user (none, low, medium, high); with a level, clean and noisy runs are shown side by side", DefaultValueFactory = _ => NoiseLevel.None };
        var noisePerTask = new Option<bool>("--noise-per-task") { Description = "The k runs of a task share one noise seed, so pass@k under noise asks whether the policy solves that noisy episode in k tries (default: a seed per run)" };
        var topP = new Option<float>("--top-p") { Description = "Nucleus truncation of a checkpoint policy's sampler (with --temperature above 0)", DefaultValueFactory = _ => 1f };
        var onnx = new Option<bool>("--onnx") { Description = "Decode a checkpoint policy with ONNX Runtime (its weights exported into the session, a batch per core)" };
        var batch = new Option<int>("--batch") { Description = "Episodes decoded together (one batched generation per turn for a checkpoint policy)", DefaultValueFactory = _ => 32 };
        var command = new Command("eval", "Evaluate a policy on a suite's held-out tasks")
        {
            policy, suite, episodes, k, seed, temperature, topP, noise, noisePerTask, maxTurns, batch, onnx, json, trajectories, list, scale,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(list))
            {
                Console.WriteLine($"suites: {string.Join(", ", TaskSuites.Names)}");
                Console.WriteLine($"noise levels: {string.Join(", ", Enum.GetNames<NoiseLevel>().Select(n => n.ToLowerInvariant()))}");
                return 0;
            }
            var taskSuite = TaskSuites.Create(parse.GetValue(suite)!, parse.GetValue(scale));
            var policyName = parse.GetValue(policy)!;
            var options = new AgentLoopOptions { MaxTurns = parse.GetValue(maxTurns), Temperature = parse.GetValue(temperature), TopP = parse.GetValue(topP), Seed = parse.GetValue(seed) };
            LoadedPolicy? loaded = null;
            Jobs.EvaluationPolicy? evaluation = null;
            int concurrency = 1;
            AgentLoop loop;
            switch (policyName)
            {
                case "expert":
                    loop = new AgentLoop(taskSuite.CreateExpert(), options);
                    break;
                case "random":
                    loop = new AgentLoop(new RandomPolicy(parse.GetValue(seed)), options);
                    break;
                default:
                    loaded = PolicyCheckpoint.Load(policyName);
                    options.MaxTokens = loaded.Model.Config.MaxPositionEmbeddings;
                    options.MaxNewTokensPerTurn = Math.Min(options.MaxNewTokensPerTurn, options.MaxTokens / 2);
                    // A policy trained on suite demonstrations without tool listings is evaluated with the same template.
                    bool listTools = !(loaded.Metadata.TryGetValue(Jobs.SuiteSftJob.TemplateToolsKey, out var include) && include == "false");
                    var template = new ChatTemplate(loaded.Tokenizer, new ChatTemplateOptions { IncludeToolsInSystemPrompt = listTools });
                    options.MaxNewTokensPerTurn = Math.Min(256, options.MaxTokens / 2);
                    // ONNX Runtime: the loaded weights exported into a session, a batch per core.
                    evaluation = Jobs.EvaluationPolicy.Open(loaded.Model, loaded.Tokenizer, parse.GetValue(onnx) ? Jobs.EvaluationEngine.OnnxRuntime : Jobs.EvaluationEngine.TorchSharp);
                    concurrency = evaluation.Concurrency;
                    loop = new AgentLoop(evaluation.Generator, template, loaded.Tokenizer, options);
                    break;
            }
            try
            {
                var level = parse.GetValue(noise);
                bool perTask = parse.GetValue(noisePerTask);
                ulong baseSeed = parse.GetValue(seed);
                var (report, runs) = await AgentEvaluator.EvaluateAsync(taskSuite, loop, parse.GetValue(episodes), parse.GetValue(k), baseSeed, batchSize: parse.GetValue(batch), cancellationToken: cancellationToken, maxConcurrency: concurrency);
                var results = new List<(string Noise, EvaluationReport Report)> { ("none", report) };
                if (level != NoiseLevel.None)
                {
                    // Noise seeds start at baseSeed + 1: one per task with --noise-per-task, else one per run.
                    int environments = 0;
                    var (noisy, noisyRuns) = await AgentEvaluator.EvaluateAsync(taskSuite, loop, parse.GetValue(episodes), parse.GetValue(k), baseSeed,
                        (env, task) => NoisyEnvironment.ForLevel(env, level, baseSeed + (perTask ? 1 + (ulong)task : (ulong)Interlocked.Increment(ref environments))),
                        parse.GetValue(batch), cancellationToken, concurrency);
                    results.Add((level.ToString().ToLowerInvariant(), noisy));
                    runs = [.. runs, .. noisyRuns];
                }
                var displayPolicy = Markup.Escape(loaded is null ? policyName : "checkpoint");
                var table = new Table().AddColumns("suite", "policy", "noise", "success (95% CI)", $"pass@{report.K}", $"pass^{report.K}", "turns", "tool errors", "malformed", "noise events");
                foreach (var (name, r) in results)
                {
                    table.AddRow(r.Suite, displayPolicy, name, Markup.Escape($"{r.Success:P1} [{r.SuccessLow:P0}, {r.SuccessHigh:P0}]"),
                        r.PassAtK.ToString("P1"), r.PassHatK.ToString("P1"), r.AverageTurns.ToString("F2"), r.ToolErrors.ToString("F2"), r.MalformedOutputs.ToString("F2"),
                        r.NoiseEvents.ToString("F2"));
                }
                AnsiConsole.Write(table);
                static Dictionary<string, object?> Figures(EvaluationReport r, string noiseName) => new()
                {
                    ["noise"] = noiseName,
                    ["episodes"] = r.Episodes,
                    ["k"] = r.K,
                    ["success"] = r.Success,
                    ["success_ci"] = new[] { r.SuccessLow, r.SuccessHigh },
                    ["pass_at_k"] = r.PassAtK,
                    ["pass_hat_k"] = r.PassHatK,
                    ["average_turns"] = r.AverageTurns,
                    ["tool_errors"] = r.ToolErrors,
                    ["malformed_outputs"] = r.MalformedOutputs,
                    ["noise_events"] = r.NoiseEvents,
                };
                if (parse.GetValue(json) is { } path)
                {
                    // Top level: the requested noise level; "clean" and "noisy" hold both sides when a level is given.
                    var figures = Figures(results[^1].Report, results[^1].Noise);
                    figures["suite"] = report.Suite;
                    figures["policy"] = policyName;
                    figures["noise_per_task"] = perTask;
                    figures["clean"] = Figures(report, "none");
                    if (results.Count > 1) figures["noisy"] = Figures(results[1].Report, results[1].Noise);
                    JsonOutput.Write(path, figures);
                }
                if (parse.GetValue(trajectories) is { } jsonl) WriteTrajectories(jsonl, runs);
                return 0;
            }
            finally
            {
                loaded?.Model.Dispose();
                evaluation?.Dispose();
            }
        });
        return command;
    }

    private static void WriteTrajectories(string path, IReadOnlyList<Trajectory> runs)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        using var writer = new StreamWriter(path);
        foreach (var t in runs)
        {
            writer.WriteLine(JsonSerializer.Serialize(new
            {
                task = t.Task.Id,
                suite = t.Task.Suite,
                instruction = t.Task.Instruction,
                seed = t.Seed,
                success = t.Success,
                reward = t.Reward,
                turns = t.Turns,
                end = t.End.ToString(),
                info = t.Info,
                events = t.Events,
                messages = t.Messages.Select(m => new
                {
                    role = m.Role.Value,
                    text = m.Text,
                    calls = m.Contents.OfType<FunctionCallContent>().Select(c => new { c.Name, c.Arguments }),
                    results = m.Contents.OfType<FunctionResultContent>().Select(r => r.Result?.ToString()),
                }),
                tokens = t.TokenIds.Length,
            }));
        }
    }
}
