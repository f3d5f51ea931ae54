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
        var options = new TrainOptions();
        var command = new Command("train", "Train the default policy: SFT warm start, GRPO with noise curriculum and DGG, evaluation and report");
        options.AddTo(command);
        command.SetAction(async (parse, cancellationToken) =>
        {
            var settings = options.Settings(parse);
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
            if (parse.GetValue(options.Json) is { } path) File.Copy(Path.Combine(report.ReportDirectory, "report.json"), path, overwrite: true);
            if (report.RlError is { } error)
            {
                // The report is written, but the run did not do what was asked: scripts must see a failure.
                AnsiConsole.MarkupLine($"[red]RL stopped early:[/] {Markup.Escape(error)}");
                return 1;
            }
            return 0;
        });
        return command;
    }
}
