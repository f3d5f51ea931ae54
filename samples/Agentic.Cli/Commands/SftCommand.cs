using System.CommandLine;
using System.Text.Json;
using Agentic.Cli.Jobs;
using Agentic.Training.Noise;
using Agentic.Training.Tasks;
using Agentic.Training.Tasks.Addition;
using Spectre.Console;

namespace Agentic.Cli.Commands;

/// <summary><c>agentic sft --task addition --out DIR</c>: supervised training of the default policy.</summary>
internal static class SftCommand
{
    public static Command Create()
    {
        var task = new Option<string>("--task") { Description = "Built-in task to train on: addition, or a suite's expert demonstrations (tooluse, textworld, shop, searchqa, longcontext)", DefaultValueFactory = _ => "addition" };
        task.AcceptOnlyFromAmong(["addition", .. TaskSuites.Names]);
        var demos = new Option<int>("--demos") { Description = "Suites: expert demonstrations to collect", DefaultValueFactory = _ => 2000 };
        var noise = new Option<NoiseLevel>("--noise") { Description = "Suites: tool noise on a share of the demonstrations (recoveries)", DefaultValueFactory = _ => NoiseLevel.Medium };
        var maxPositions = new Option<int>("--max-positions") { Description = "Suites: context length of the model (longer demonstrations are dropped)", DefaultValueFactory = _ => 1024 };
        var evalMaxTurns = new Option<int>("--eval-max-turns") { Description = "Suites: turn limit of the evaluation episodes", DefaultValueFactory = _ => 12 };
        var evalEpisodes = new Option<int>("--eval-episodes") { Description = "Suites: held-out episodes evaluated after training (clean and high noise)", DefaultValueFactory = _ => 50 };
        var output = new Option<string>("--out") { Description = "Output folder (the checkpoint goes to OUT/checkpoint)", DefaultValueFactory = _ => "runs/sft-addition" };
        var steps = new Option<int>("--steps") { Description = "Optimizer steps", DefaultValueFactory = _ => 1500 };
        var batch = new Option<int>("--batch-size") { Description = "Sequences per step", DefaultValueFactory = _ => 64 };
        var lr = new Option<double>("--lr") { Description = "Peak learning rate", DefaultValueFactory = _ => 3e-3 };
        var digits = new Option<int>("--digits") { Description = "Operand digits (held-out problems use exactly this many)", DefaultValueFactory = _ => 3 };
        var heldOut = new Option<int>("--heldout") { Description = "Held-out problems for the final evaluation", DefaultValueFactory = _ => 1000 };
        var evalEvery = new Option<int>("--eval-every") { Description = "Steps between quick evaluations (0 = none)", DefaultValueFactory = _ => 500 };
        var maxMinutes = new Option<double>("--max-minutes") { Description = "Wall-clock budget for training", DefaultValueFactory = _ => 9.5 };
        var seed = new Option<ulong>("--seed") { Description = "Seed for data, initialisation and batches", DefaultValueFactory = _ => 1UL };
        var trainExamples = new Option<int>("--train-examples") { Description = "Size of the generated training set", DefaultValueFactory = _ => 200_000 };
        var fullWidth = new Option<double>("--full-width-share") { Description = "Share of training problems whose operands both have --digits digits (the rest are shorter)", DefaultValueFactory = _ => 0.8 };
        var threads = new Option<int>("--threads") { Description = "TorchSharp intra-op threads (0 = library default)", DefaultValueFactory = _ => 0 };
        var weightDecay = new Option<double>("--weight-decay") { Description = "AdamW weight decay", DefaultValueFactory = _ => 0.01 };
        var config = new Option<string?>("--config") { Description = "Model config JSON file (default: the built-in MoE config)" };
        var format = new Option<AdditionFormat>("--format") { Description = "Reply format of the demonstrations: ColumnScratchpad (column sums and carries in a think block), ReversedScratchpad or Plain", DefaultValueFactory = _ => AdditionFormat.ColumnScratchpad };
        var json = new Option<string?>("--json") { Description = "Write the figures as JSON to this file" };
        var scale = new Option<SuiteScale>("--scale") { Description = "Suites: size preset (Standard or Small)", DefaultValueFactory = _ => SuiteScale.Standard };

        var command = new Command("sft", "Train the default policy with supervised fine-tuning on a built-in task")
        {
            task, output, steps, batch, lr, digits, heldOut, evalEvery, maxMinutes, seed, format, trainExamples, fullWidth, threads, weightDecay, config, demos, noise, maxPositions, evalEpisodes, evalMaxTurns, json, scale,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            if (parse.GetValue(task) != "addition")
            {
                using var suiteCancellation = new GracefulCancellation(cancellationToken);
                var suiteSettings = new SuiteSftSettings
                {
                    Suite = parse.GetValue(task)!,
                    Scale = parse.GetValue(scale),
                    OutputDirectory = parse.GetResult(output) is { Implicit: false } ? parse.GetValue(output)! : $"runs/sft-{parse.GetValue(task)}",
                    Demonstrations = parse.GetValue(demos),
                    Noise = parse.GetValue(noise),
                    MaxPositions = parse.GetValue(maxPositions),
                    EvalEpisodes = parse.GetValue(evalEpisodes),
                    EvalMaxTurns = parse.GetValue(evalMaxTurns),
                    Steps = parse.GetResult(steps) is { Implicit: false } ? parse.GetValue(steps) : 600,
                    BatchSize = parse.GetResult(batch) is { Implicit: false } ? parse.GetValue(batch) : 16,
                    LearningRate = parse.GetValue(lr),
                    MaxMinutes = parse.GetResult(maxMinutes) is { Implicit: false } ? parse.GetValue(maxMinutes) : 12,
                    Seed = parse.GetValue(seed),
                };
                var r = await SuiteSftJob.RunAsync(suiteSettings, AnsiConsole.Console, suiteCancellation.Token);
                var t = new Table().AddColumns("suite", "noise", "success (95% CI)", "turns", "tool errors", "malformed");
                foreach (var (name, e) in new[] { ("none", r.Clean), ("high", r.Noisy) })
                {
                    t.AddRow(r.Suite, name, Markup.Escape($"{e.Success:P1} [{e.SuccessLow:P0}, {e.SuccessHigh:P0}]"), e.AverageTurns.ToString("F2"), e.ToolErrors.ToString("F2"), e.MalformedOutputs.ToString("F2"));
                }
                AnsiConsole.Write(t);
                AnsiConsole.MarkupLine($"{r.Demonstrations} demonstrations, {r.Steps} steps, final loss {r.FinalLoss:F4}, {r.Seconds:F0} s, checkpoint {Markup.Escape(r.Checkpoint)}");
                if (parse.GetValue(json) is { } suitePath)
                {
                    JsonOutput.Write(suitePath, new Dictionary<string, object?>
                    {
                        ["task"] = r.Suite,
                        ["demonstrations"] = r.Demonstrations,
                        ["dropped"] = r.Dropped,
                        ["steps"] = r.Steps,
                        ["seconds"] = r.Seconds,
                        ["final_loss"] = r.FinalLoss,
                        ["episodes"] = r.Clean.Episodes,
                        ["success"] = r.Clean.Success,
                        ["success_noisy"] = r.Noisy.Success,
                        ["checkpoint"] = r.Checkpoint,
                    });
                }
                return r.Cancelled ? 130 : 0;
            }

            var settings = new AdditionSftSettings
            {
                OutputDirectory = parse.GetValue(output)!,
                Steps = parse.GetValue(steps),
                BatchSize = parse.GetValue(batch),
                LearningRate = parse.GetValue(lr),
                Digits = parse.GetValue(digits),
                HeldOutExamples = parse.GetValue(heldOut),
                EvalEvery = parse.GetValue(evalEvery),
                MaxMinutes = parse.GetValue(maxMinutes),
                Seed = parse.GetValue(seed),
                Format = parse.GetValue(format),
                TrainingExamples = parse.GetValue(trainExamples),
                MaxDigitsShare = parse.GetValue(fullWidth),
                Threads = parse.GetValue(threads),
                WeightDecay = parse.GetValue(weightDecay),
                Config = parse.GetValue(config) is { } file ? Agentic.Rl.Modeling.MoeTransformerConfig.FromJson(File.ReadAllText(file)) : null,
            };
            var console = AnsiConsole.Console;
            using var cancellation = new GracefulCancellation(cancellationToken);
            var report = AdditionSftJob.Run(settings, console, cancellation.Token);
            var table = new Table().AddColumns("figure", "value");
            table.AddRow("held-out exact match", double.IsNaN(report.HeldoutExactMatch) ? "n/a (cancelled)" : $"{report.HeldoutExactMatch:P1} of {report.HeldoutExamples}");
            table.AddRow("steps", report.Steps.ToString("N0"));
            table.AddRow("seconds", report.Seconds.ToString("F1"));
            table.AddRow("training tokens/s", report.TokensPerSecond.ToString("N0"));
            table.AddRow("final loss", report.FinalLoss.ToString("F4"));
            table.AddRow("parameters", report.Parameters.ToString("N0"));
            table.AddRow("zero-expert share", report.ZeroExpertShare.ToString("P1"));
            table.AddRow("peak resident memory", $"{report.PeakResidentMegabytes:F0} MB");
            table.AddRow("checkpoint", report.Checkpoint);
            console.Write(table);
            if (parse.GetValue(json) is { } path)
            {
                JsonOutput.Write(path, new Dictionary<string, object?>
                {
                    ["task"] = "addition",
                    ["format"] = settings.Format.ToString(),
                    ["heldout_exact_match"] = double.IsNaN(report.HeldoutExactMatch) ? null : report.HeldoutExactMatch,
                    ["heldout_examples"] = report.HeldoutExamples,
                    ["seconds"] = report.Seconds,
                    ["steps"] = report.Steps,
                    ["train_tokens"] = report.TrainTokens,
                    ["tokens_per_second"] = report.TokensPerSecond,
                    ["final_loss"] = report.FinalLoss,
                    ["parameters"] = report.Parameters,
                    ["zero_expert_share"] = report.ZeroExpertShare,
                    ["peak_resident_mb"] = report.PeakResidentMegabytes,
                    ["cancelled"] = report.Cancelled,
                    ["checkpoint"] = report.Checkpoint,
                });
            }
            return report.Cancelled ? 130 : 0;
        });
        return command;
    }
}

/// <summary>Writes a command's figures as indented JSON.</summary>
internal static class JsonOutput
{
    private static readonly JsonSerializerOptions s_options = new() { WriteIndented = true };

    public static void Write(string path, IReadOnlyDictionary<string, object?> figures)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(path));
        if (folder is not null) Directory.CreateDirectory(folder);
        File.WriteAllText(path, JsonSerializer.Serialize(figures, s_options));
    }
}
