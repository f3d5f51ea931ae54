using System.CommandLine;
using Agentic.Cli.Jobs;
using Agentic.Training.Noise;
using Agentic.Training.Tasks;
using Spectre.Console;

namespace Agentic.Cli.Commands;

/// <summary>
/// <c>agentic train</c>: the main job. With no arguments it trains the built-in default policy end to end (SFT warm
/// start, GRPO with the noise curriculum and DGG over a mix of suites, evaluation, report).
/// </summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var d = new TrainSettings();
        var output = new Option<string>("--out") { Description = "Output folder (checkpoints, metrics, report)", DefaultValueFactory = _ => d.OutputDirectory };
        var suites = new Option<string>("--suites") { Description = "Comma-separated suites to train on", DefaultValueFactory = _ => string.Join(",", d.Suites) };
        var scale = new Option<SuiteScale>("--scale") { Description = "Suite size preset", DefaultValueFactory = _ => d.Scale };
        var demos = new Option<int>("--demos") { Description = "Expert demonstrations per suite for the SFT warm start", DefaultValueFactory = _ => d.DemonstrationsPerSuite };
        var sftSteps = new Option<int>("--sft-steps") { Description = "SFT optimizer steps", DefaultValueFactory = _ => d.SftSteps };
        var sftMinutes = new Option<double>("--sft-minutes") { Description = "Wall-clock cap of the SFT phase", DefaultValueFactory = _ => d.SftMinutes };
        var rlSteps = new Option<int>("--rl-steps") { Description = "RL steps (rollout batches)", DefaultValueFactory = _ => d.RlSteps };
        var rlMinutes = new Option<double>("--rl-minutes") { Description = "Wall-clock cap of the RL phase", DefaultValueFactory = _ => d.RlMinutes };
        var group = new Option<int>("--group-size") { Description = "Rollouts per task (GRPO group)", DefaultValueFactory = _ => d.GroupSize };
        var tasks = new Option<int>("--tasks-per-step") { Description = "Tasks (groups) per RL step", DefaultValueFactory = _ => d.TasksPerStep };
        var lr = new Option<double>("--lr") { Description = "RL learning rate", DefaultValueFactory = _ => d.RlLearningRate };
        var noise = new Option<bool>("--noise") { Description = "Noise curriculum during RL (false: clean rollouts only)", DefaultValueFactory = _ => d.Noise };
        var dgg = new Option<bool>("--dgg") { Description = "Dynamic Gradient Gating of reused rollout batches", DefaultValueFactory = _ => d.Dgg };
        var reuse = new Option<int>("--reuse") { Description = "Most updates per rollout batch (K)", DefaultValueFactory = _ => d.MaxReuse };
        var evalEpisodes = new Option<int>("--eval-episodes") { Description = "Held-out tasks per suite, evaluated clean and noisy, before and after RL", DefaultValueFactory = _ => d.EvalEpisodes };
        var evalNoise = new Option<NoiseLevel>("--eval-noise") { Description = "Tool noise of the noisy evaluation", DefaultValueFactory = _ => d.EvalNoise };
        var from = new Option<string?>("--from") { Description = "Start RL from this checkpoint instead of an SFT warm start" };
        var seed = new Option<ulong>("--seed") { Description = "Seed of everything", DefaultValueFactory = _ => d.Seed };
        var merges = new Option<int>("--merges") { Description = "Byte-pair merges fitted on the demonstrations (0 = byte-level tokens)", DefaultValueFactory = _ => d.Merges };
        var positions = new Option<int>("--max-positions") { Description = "Context length of the policy (longer demonstrations are dropped)", DefaultValueFactory = _ => d.MaxPositions };
        var json = new Option<string?>("--json") { Description = "Also write report.json's figures to this file" };
        var command = new Command("train", "Train the default policy: SFT warm start, GRPO with noise curriculum and DGG, evaluation and report")
        {
            output, suites, scale, demos, sftSteps, sftMinutes, rlSteps, rlMinutes, group, tasks, lr, noise, dgg, reuse, evalEpisodes, evalNoise, from, seed, merges, positions, json,
        };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = new TrainSettings
            {
                OutputDirectory = parse.GetValue(output)!,
                Suites = [.. parse.GetValue(suites)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)],
                Scale = parse.GetValue(scale),
                DemonstrationsPerSuite = parse.GetValue(demos),
                SftSteps = parse.GetValue(sftSteps),
                SftMinutes = parse.GetValue(sftMinutes),
                RlSteps = parse.GetValue(rlSteps),
                RlMinutes = parse.GetValue(rlMinutes),
                GroupSize = parse.GetValue(group),
                TasksPerStep = parse.GetValue(tasks),
                RlLearningRate = parse.GetValue(lr),
                Noise = parse.GetValue(noise),
                Dgg = parse.GetValue(dgg),
                MaxReuse = parse.GetValue(reuse),
                EvalEpisodes = parse.GetValue(evalEpisodes),
                EvalNoise = parse.GetValue(evalNoise),
                StartFrom = parse.GetValue(from),
                Seed = parse.GetValue(seed),
                Merges = parse.GetValue(merges),
                MaxPositions = parse.GetValue(positions),
                Command = "agentic " + string.Join(' ', Environment.GetCommandLineArgs().Skip(1)),
            };
            using var cancellation = new GracefulCancellation(cancellationToken);
            var report = await TrainJob.RunAsync(settings, AnsiConsole.Console, cancellation.Token);
            if (report.Cancelled)
            {
                AnsiConsole.MarkupLine($"cancelled: the last good checkpoint is {Markup.Escape(report.Checkpoint)}");
                return 130;
            }
            var table = new Table().AddColumns("suite", "SFT clean", "RL clean", "SFT noisy", "RL noisy");
            foreach (var r in report.Suites) table.AddRow(r.Suite, $"{r.SftClean:P1}", $"{r.RlClean:P1}", $"{r.SftNoisy:P1}", $"{r.RlNoisy:P1}");
            AnsiConsole.Write(table);
            AnsiConsole.MarkupLine($"{report.SftSteps} SFT steps, {report.RlSteps} RL steps ({report.Samples} rollouts, {report.UpdatesApplied} updates, {report.GateFirings} gate firings), {report.Seconds:F0} s; report in {Markup.Escape(report.ReportDirectory)}");
            if (parse.GetValue(json) is { } path) File.Copy(Path.Combine(report.ReportDirectory, "report.json"), path, overwrite: true);
            return 0;
        });
        return command;
    }
}
