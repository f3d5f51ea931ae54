using System.CommandLine;
using System.Text.Json;
using Agentic.Core.Agents;
using Agentic.Core.Chat;
using Agentic.Rl.Checkpoints;
using Agentic.Rl.Generation;
using Agentic.Training.Evaluation;
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
        var command = new Command("eval", "Evaluate a policy on a suite's held-out tasks")
        {
            policy, suite, episodes, k, seed, temperature, json, trajectories, list,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(list))
            {
                Console.WriteLine($"suites: {string.Join(", ", TaskSuites.Names)}");
                Console.WriteLine("noise levels: none");
                return 0;
            }
            var taskSuite = TaskSuites.Create(parse.GetValue(suite)!);
            var policyName = parse.GetValue(policy)!;
            var options = new AgentLoopOptions { MaxTurns = 12, Temperature = parse.GetValue(temperature), Seed = parse.GetValue(seed) };
            LoadedPolicy? loaded = null;
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
                    loop = new AgentLoop(new PolicyGenerator(loaded.Model, loaded.Tokenizer.EndOfTextId), new ChatTemplate(loaded.Tokenizer), loaded.Tokenizer, options);
                    break;
            }
            try
            {
                var (report, runs) = await AgentEvaluator.EvaluateAsync(taskSuite, loop, parse.GetValue(episodes), parse.GetValue(k), parse.GetValue(seed), cancellationToken: cancellationToken);
                var table = new Table().AddColumns("suite", "policy", "noise", "success (95% CI)", $"pass@{report.K}", $"pass^{report.K}", "turns", "tool errors", "malformed");
                table.AddRow(report.Suite, Markup.Escape(loaded is null ? policyName : "checkpoint"), "none", Markup.Escape($"{report.Success:P1} [{report.SuccessLow:P0}, {report.SuccessHigh:P0}]"),
                    report.PassAtK.ToString("P1"), report.PassHatK.ToString("P1"), report.AverageTurns.ToString("F2"), report.ToolErrors.ToString("F2"), report.MalformedOutputs.ToString("F2"));
                AnsiConsole.Write(table);
                if (parse.GetValue(json) is { } path)
                {
                    JsonOutput.Write(path, new Dictionary<string, object?>
                    {
                        ["suite"] = report.Suite,
                        ["policy"] = policyName,
                        ["noise"] = "none",
                        ["episodes"] = report.Episodes,
                        ["k"] = report.K,
                        ["success"] = report.Success,
                        ["success_ci"] = new[] { report.SuccessLow, report.SuccessHigh },
                        ["pass_at_k"] = report.PassAtK,
                        ["pass_hat_k"] = report.PassHatK,
                        ["average_turns"] = report.AverageTurns,
                        ["tool_errors"] = report.ToolErrors,
                        ["malformed_outputs"] = report.MalformedOutputs,
                    });
                }
                if (parse.GetValue(trajectories) is { } jsonl) WriteTrajectories(jsonl, runs);
                return 0;
            }
            finally
            {
                loaded?.Model.Dispose();
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
