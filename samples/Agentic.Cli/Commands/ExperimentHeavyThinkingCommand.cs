using System.CommandLine;
using Agentic.Cli.Jobs;
using Spectre.Console;

namespace Agentic.Cli.Commands;

/// <summary>
/// <c>agentic experiment heavy-thinking --checkpoint DIR [--onnx] [--width 5] [--temperature 0.8] [--problems 300] [--json FILE]</c>:
/// single-sample vs Heavy Thinking accuracy and token cost on held-out addition problems, for the same policy.
/// </summary>
internal static class ExperimentHeavyThinkingCommand
{
    public static Command Create()
    {
        var checkpoint = new Option<string>("--checkpoint") { Description = "Checkpoint folder of an addition policy", Required = true };
        var onnx = new Option<bool>("--onnx") { Description = "Serve from the ONNX export (model.onnx next to the checkpoint, or exported on the fly) instead of TorchSharp" };
        var width = new Option<int>("--width") { Description = "Heavy Thinking width (parallel traces)", DefaultValueFactory = _ => 5 };
        var temperature = new Option<float>("--temperature") { Description = "Sampling temperature of the single sample and of every trace", DefaultValueFactory = _ => 0.8f };
        var problems = new Option<int>("--problems") { Description = "Held-out addition problems", DefaultValueFactory = _ => 300 };
        var digits = new Option<int>("--digits") { Description = "Operand digits of the held-out problems", DefaultValueFactory = _ => 3 };
        var maxTokens = new Option<int>("--max-new-tokens") { Description = "Token budget of each reply", DefaultValueFactory = _ => 32 };
        var summary = new Option<bool>("--summary") { Description = "Also measure the Summary aggregation over the same traces", DefaultValueFactory = _ => true };
        var seed = new Option<ulong>("--seed") { Description = "Seed of the held-out problem draw", DefaultValueFactory = _ => 7UL };
        var json = new Option<string?>("--json") { Description = "Write the figures as JSON to this file" };
        var command = new Command("heavy-thinking", "Single-sample vs Heavy Thinking (majority vote, summary) on held-out addition, same policy, through IChatClient")
        {
            checkpoint, onnx, width, temperature, problems, digits, maxTokens, summary, seed, json,
        };
        command.SetAction((parse, cancellationToken) =>
        {
            if (parse.GetValue(width) < 1 || parse.GetValue(problems) < 1 || parse.GetValue(temperature) < 0 || parse.GetValue(maxTokens) < 1)
            {
                Console.Error.WriteLine("--width, --problems and --max-new-tokens must be at least 1, and --temperature must not be negative.");
                return Task.FromResult(1);
            }
            var settings = new HeavyThinkingExperimentSettings
            {
                Width = parse.GetValue(width),
                Temperature = parse.GetValue(temperature),
                Problems = parse.GetValue(problems),
                Digits = parse.GetValue(digits),
                MaxOutputTokens = parse.GetValue(maxTokens),
                Summary = parse.GetValue(summary),
                Seed = parse.GetValue(seed),
            };
            using var serving = LocalPolicyServing.Open(parse.GetValue(checkpoint)!, parse.GetValue(onnx));
            using var cancellation = new GracefulCancellation(cancellationToken);
            var console = AnsiConsole.Console;
            console.MarkupLine($"[bold]agentic experiment heavy-thinking[/]: {settings.Problems} held-out problems, width {settings.Width}, " +
                               $"temperature {settings.Temperature}, engine {serving.EngineName}");
            HeavyThinkingExperimentReport report;
            try
            {
                report = HeavyThinkingExperiment.Run(serving.Client, serving.SupportsConcurrentCalls, settings, serving.EngineName,
                    (arm, done, total) =>
                    {
                        if (done == total || done % 50 == 0) console.MarkupLine($"  {Markup.Escape(arm)}: {done}/{total}");
                    },
                    cancellation.Token);
            }
            catch (OperationCanceledException)
            {
                console.MarkupLine("[yellow]cancelled[/]");
                return Task.FromResult(130);
            }

            var table = new Table().AddColumns("method", "accuracy", "tokens / problem (in + out)", "generated tokens / problem", "seconds");
            foreach (var arm in new[] { report.Single, report.Vote, report.Summary })
            {
                if (arm is null) continue;
                table.AddRow(Markup.Escape(arm.Name), $"{arm.Accuracy:P1} ({arm.Correct}/{arm.Problems})", arm.TokensPerProblem.ToString("F1"),
                    arm.OutputTokensPerProblem.ToString("F1"), arm.Seconds.ToString("F1"));
            }
            console.Write(table);
            if (report.Summary is not null)
            {
                console.MarkupLine("[grey]summary arm: reuses the vote's traces (its seconds are the summary passes only; its tokens count the traces too)[/]");
            }
            if (parse.GetValue(json) is { } path)
            {
                var figures = new Dictionary<string, object?>
                {
                    ["single_sample_accuracy"] = report.Single.Accuracy,
                    ["heavy_thinking_accuracy"] = report.Vote.Accuracy,
                    ["single_sample_tokens"] = report.Single.TokensPerProblem,
                    ["heavy_thinking_tokens"] = report.Vote.TokensPerProblem,
                    ["single_sample_output_tokens"] = report.Single.OutputTokensPerProblem,
                    ["heavy_thinking_output_tokens"] = report.Vote.OutputTokensPerProblem,
                    ["tokens_unit"] = "prompt plus generated tokens per problem, summed over every call",
                    ["aggregation"] = "majority_vote",
                    ["width"] = report.Width,
                    ["temperature"] = report.Temperature,
                    ["problems"] = report.Single.Problems,
                    ["engine"] = report.Engine,
                };
                if (report.Summary is { } s)
                {
                    figures["summary_accuracy"] = s.Accuracy;
                    figures["summary_tokens"] = s.TokensPerProblem;
                }
                JsonOutput.Write(path, figures);
            }
            return Task.FromResult(0);
        });
        return command;
    }
}
