using System.Diagnostics;
using Agentic.Core.Chat;
using Agentic.Core.Tokenization;
using Agentic.Rl.Advantages;
using Agentic.Rl.Checkpoints;
using Agentic.Rl.Gating;
using Agentic.Rl.Modeling;
using Agentic.Rl.Reporting;
using Agentic.Rl.Rewards;
using Agentic.Rl.Rollouts;
using Agentic.Rl.Training;
using Agentic.Training.Noise;
using Agentic.Training.Tasks;
using Spectre.Console;

namespace Agentic.Cli.Jobs;

/// <summary>Settings of <c>agentic train</c> (the defaults are the built-in main job).</summary>
internal sealed record TrainSettings
{
    public string OutputDirectory { get; init; } = "runs/train";
    public IReadOnlyList<string> Suites { get; init; } = ["tooluse", "searchqa", "shop"];
    public SuiteScale Scale { get; init; } = SuiteScale.Small;
    public int DemonstrationsPerSuite { get; init; } = 600;
    public double NoisyDemonstrationFraction { get; init; } = 0.3;
    public NoiseLevel DemonstrationNoise { get; init; } = NoiseLevel.Medium;
    public int SftSteps { get; init; } = 400;
    public int SftBatchSize { get; init; } = 16;
    public double SftLearningRate { get; init; } = 3e-3;
    public double SftMinutes { get; init; } = 5;
    public int RlSteps { get; init; } = 40;
    public double RlMinutes { get; init; } = 6;
    public int GroupSize { get; init; } = 8;
    public int TasksPerStep { get; init; } = 3;
    public double RlLearningRate { get; init; } = 2e-4;
    public bool Noise { get; init; } = true;
    public double NoisyFraction { get; init; } = 0.5;
    public NoiseLevel InitialNoise { get; init; } = NoiseLevel.Low;
    public bool Dgg { get; init; } = true;
    public int MaxReuse { get; init; } = 2;
    public int EvalEpisodes { get; init; } = 48;
    public NoiseLevel EvalNoise { get; init; } = NoiseLevel.Medium;
    public int MaxPositions { get; init; } = 512;
    public int Merges { get; init; } = 1024;
    public int MaxTurns { get; init; } = 8;
    public ulong Seed { get; init; } = 1;
    public string? StartFrom { get; init; }
    public string Command { get; init; } = "agentic train";
}

/// <summary>What <c>agentic train</c> measured.</summary>
internal sealed record TrainReport(IReadOnlyList<SuiteResult> Suites, double Seconds, int SftSteps, int RlSteps, int Samples, int GateFirings,
    int UpdatesApplied, string Checkpoint, string ReportDirectory, bool Cancelled);

/// <summary>
/// The main job: SFT warm start of the default policy on scripted-expert demonstrations of the suites, held-out
/// evaluation, GRPO with the noise curriculum and Dynamic Gradient Gating over a round-robin mix of the suites,
/// held-out evaluation again, and the report (report.md, report.json, plot.png, metrics.jsonl, TensorBoard events).
/// </summary>
internal static class TrainJob
{
    public static async Task<TrainReport> RunAsync(TrainSettings s, IAnsiConsole console, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        Directory.CreateDirectory(s.OutputDirectory);
        var suites = s.Suites.Select(name => TaskSuites.Create(name, s.Scale)).ToArray();
        var checkpoint = Path.Combine(s.OutputDirectory, "checkpoint");
        var metadata = new Dictionary<string, string>
        {
            ["task"] = string.Join(",", s.Suites), ["scale"] = s.Scale.ToString(), [SuiteSftJob.TemplateToolsKey] = "false",
        };
        using var log = new TrainingRunLog(s.OutputDirectory);
        var steps = new List<RlStepMetrics>();

        // 1. Policy: trained from scratch on demonstrations, or loaded.
        MoeCausalLM model;
        ByteLevelTokenizer tokenizer;
        int sftSteps = 0;
        bool cancelled = false;
        ChatTemplate template;
        if (s.StartFrom is { } start)
        {
            var loaded = PolicyCheckpoint.Load(start);
            (model, tokenizer) = (loaded.Model, loaded.Tokenizer);
            template = new ChatTemplate(tokenizer, new ChatTemplateOptions { IncludeToolsInSystemPrompt = false });
            console.MarkupLine($"[bold]agentic train[/]: starting from {Markup.Escape(start)}");
        }
        else
        {
            var runs = new List<Agentic.Core.Agents.Trajectory>();
            foreach (var (suite, i) in suites.Select((x, i) => (x, i)))
            {
                runs.AddRange(await Demonstrations.CollectAsync(suite, s.DemonstrationsPerSuite, s.NoisyDemonstrationFraction, s.DemonstrationNoise, s.Seed + (ulong)i * 101, cancellationToken));
            }
            tokenizer = DefaultPolicy.FitTokenizer(runs.Select(r => r.Messages), s.Merges);
            template = new ChatTemplate(tokenizer, new ChatTemplateOptions { IncludeToolsInSystemPrompt = false });
            var demos = Demonstrations.Encode(runs, template, s.MaxPositions, out int dropped);
            var config = DefaultPolicy.Config(tokenizer) with { MaxPositionEmbeddings = s.MaxPositions };
            model = new MoeCausalLM(config, seed: (long)s.Seed);
            console.MarkupLine($"[bold]agentic train[/] {string.Join(", ", s.Suites)} ({s.Scale}): {demos.Count} demonstrations ({dropped} longer than {s.MaxPositions} tokens dropped), {tokenizer.MergeCount} merges, median {demos.Select(d => d.Count).Order().ElementAt(demos.Count / 2)} tokens; {model.ParameterCount:N0} parameters");
            using var sft = new SftTrainer(model, tokenizer.EndOfTextId, new SftOptions
            {
                Steps = s.SftSteps, BatchSize = s.SftBatchSize, LearningRate = s.SftLearningRate, WarmupSteps = Math.Min(50, s.SftSteps / 4), Seed = s.Seed,
            });
            var phaseClock = Stopwatch.StartNew();
            Progress(console, ctx =>
            {
                var bar = ctx.AddTask("sft", maxValue: s.SftSteps);
                while (sft.StepCount < s.SftSteps && phaseClock.Elapsed.TotalMinutes < s.SftMinutes)
                {
                    if (cancellationToken.IsCancellationRequested) { cancelled = true; break; }
                    var r = sft.Step(sft.SampleBatch(demos));
                    bar.Increment(1);
                    bar.Description = $"sft step {r.Step} loss {r.Loss:F3}";
                    if (r.Step % 10 == 0)
                    {
                        var m = new RlStepMetrics { Step = r.Step, Phase = "sft", Seconds = clock.Elapsed.TotalSeconds, Loss = r.Loss, LmHeadGradNorm = r.LmHeadGradNorm, NoiseLevel = "none" };
                        log.Record(m);
                    }
                }
                bar.Value = bar.MaxValue;
            });
            sftSteps = sft.StepCount;
            PolicyCheckpoint.Save(Path.Combine(s.OutputDirectory, "sft"), model, tokenizer, sft, metadata);
            PolicyCheckpoint.Save(checkpoint, model, tokenizer, metadata: metadata);
        }

        using var _ = model;
        if (cancelled) return new TrainReport([], clock.Elapsed.TotalSeconds, sftSteps, 0, 0, 0, 0, checkpoint, s.OutputDirectory, true);

        // 2. Held-out evaluation of the warm start.
        var before = new Dictionary<string, CleanNoisy>();
        foreach (var suite in suites)
        {
            console.MarkupLine($"evaluating the SFT policy on {suite.Suite} ({s.EvalEpisodes} held-out tasks, clean and {s.EvalNoise} noise)...");
            before[suite.Suite] = await SuiteEvaluation.EvaluateAsync(suite, model, tokenizer, template, s.EvalEpisodes, s.MaxTurns, s.EvalNoise, s.Seed, cancellationToken);
        }

        // 3. GRPO with the noise curriculum and DGG.
        var shapers = suites.ToDictionary(x => x.Suite, x => RewardShaping.Default(x.Suite), StringComparer.OrdinalIgnoreCase);
        GradientGate gate = s.Dgg ? new DynamicGradientGate() : new OpenGradientGate();
        using var policyTrainer = new PolicyGradientTrainer(model, tokenizer.EndOfTextId,
            new PolicyGradientOptions { LearningRate = s.RlLearningRate, MaxReuse = s.MaxReuse, MicroBatchSize = 8 }, gate);
        var curriculum = s.Noise
            ? new NoiseCurriculum(new NoiseCurriculumOptions { NoisyFraction = s.NoisyFraction, InitialLevel = s.InitialNoise, Window = 32, Seed = s.Seed })
            : null;
        var rl = new AgentRlTrainer(model, tokenizer, template, suites, t => shapers[t.Task.Suite].Compute(t), policyTrainer,
            new AgentRlOptions
            {
                GroupSize = s.GroupSize, TasksPerStep = s.TasksPerStep, MaxTurns = s.MaxTurns, MaxTokens = s.MaxPositions, Seed = s.Seed,
            },
            new GrpoAdvantageEstimator(), curriculum);
        int samples = 0, firings = 0, applied = 0;
        var rlClock = Stopwatch.StartNew();
        var rlError = (Exception?)null;
        await ProgressAsync(console, async ctx =>
        {
            var bar = ctx.AddTask("rl", maxValue: s.RlSteps);
            while (rl.StepCount < s.RlSteps && rlClock.Elapsed.TotalMinutes < s.RlMinutes)
            {
                if (cancellationToken.IsCancellationRequested) { cancelled = true; break; }
                AgentRlStep step;
                try
                {
                    step = await rl.StepAsync(cancellationToken);
                }
                catch (OperationCanceledException)
                {
                    cancelled = true;
                    break;
                }
                catch (NonFiniteLossException ex)
                {
                    rlError = ex;
                    break;
                }
                samples += step.Groups.Sum(g => g.Rollouts.Count);
                firings += step.Update.Updates.Count(u => u.Gate.Fired);
                applied += step.Update.Applied;
                var last = step.Update.Updates.LastOrDefault();
                var components = step.Rollouts.SelectMany(r => r.Reward.Components).GroupBy(c => c.Key).ToDictionary(g => "reward." + g.Key, g => g.Average(c => c.Value));
                components["dropped_groups"] = step.Groups.Count(g => g.Dropped);
                components["rollout_seconds"] = step.RolloutSeconds;
                components["update_seconds"] = step.UpdateSeconds;
                foreach (var g in step.Groups.GroupBy(g => g.Suite)) components[$"success.{g.Key}"] = g.SelectMany(x => x.Rollouts).Average(r => r.Trajectory.Success ? 1.0 : 0.0);
                var metrics = new RlStepMetrics
                {
                    Step = step.Step, Phase = "rl", Seconds = clock.Elapsed.TotalSeconds, Samples = samples,
                    Loss = last?.Loss ?? 0, RewardMean = step.RewardMean, SuccessClean = step.SuccessClean, SuccessNoisy = step.SuccessNoisy,
                    NoisyFraction = step.Rollouts.Average(r => r.Noisy ? 1.0 : 0.0), NoiseLevel = step.NoiseLevel.ToString().ToLowerInvariant(),
                    LmHeadGradNorm = step.Update.Updates.FirstOrDefault()?.Gate.LmHeadGradNorm ?? 0,
                    GateFired = step.Update.Gated, GateZScore = step.Update.Updates.Select(u => u.Gate.ZScore).LastOrDefault(z => z is not null),
                    ReuseIndex = step.Update.Applied, Kl = last?.Kl, Entropy = last?.Entropy, ClipFraction = last?.ClipFraction, Extra = components,
                };
                log.Record(metrics);
                steps.Add(metrics);
                bar.Increment(1);
                bar.Description = $"rl step {step.Step} reward {step.RewardMean:F2} clean {step.SuccessClean:P0} noisy {(step.SuccessNoisy is { } n ? n.ToString("P0") : "-")} noise {step.NoiseLevel}";
                if (step.Step % 10 == 0) PolicyCheckpoint.Save(checkpoint, model, tokenizer, metadata: metadata);
            }
            bar.Value = bar.MaxValue;
        });
        PolicyCheckpoint.Save(checkpoint, model, tokenizer, metadata: metadata);
        if (rlError is not null) console.MarkupLine($"[red]RL stopped:[/] {Markup.Escape(rlError.Message)} (the last good checkpoint is kept)");
        if (cancelled) return new TrainReport([], clock.Elapsed.TotalSeconds, sftSteps, rl.StepCount, samples, firings, applied, checkpoint, s.OutputDirectory, true);

        // 4. Held-out evaluation after RL, and the report.
        var results = new List<SuiteResult>();
        foreach (var suite in suites)
        {
            console.MarkupLine($"evaluating the RL policy on {suite.Suite}...");
            var after = await SuiteEvaluation.EvaluateAsync(suite, model, tokenizer, template, s.EvalEpisodes, s.MaxTurns, s.EvalNoise, s.Seed, cancellationToken);
            var b = before[suite.Suite];
            results.Add(new SuiteResult(suite.Suite, b.Clean.Success, b.Noisy.Success, after.Clean.Success, after.Noisy.Success, s.EvalEpisodes));
        }

        var plot = Path.Combine(s.OutputDirectory, "plot.png");
        TrainingPlot.Save(plot, steps);
        var data = new TrainingReportData
        {
            Title = "agentic train",
            Command = s.Command,
            Config = Config(s),
            Suites = results,
            Figures = new Dictionary<string, double>
            {
                ["seconds"] = clock.Elapsed.TotalSeconds, ["sft_steps"] = sftSteps, ["rl_steps"] = rl.StepCount, ["rl_samples"] = samples,
                ["gate_firings"] = firings, ["updates_applied"] = applied, ["final_noise_level"] = (double)(curriculum?.Level ?? NoiseLevel.None),
                ["parameters"] = model.ParameterCount,
            },
            PlotFile = "plot.png",
            Notes = [$"Held-out evaluation: {s.EvalEpisodes} tasks per suite, greedy decoding, clean and under {s.EvalNoise} tool noise."],
        };
        TrainingReport.WriteMarkdown(Path.Combine(s.OutputDirectory, "report.md"), data);
        TrainingReport.WriteJson(Path.Combine(s.OutputDirectory, "report.json"), data);
        return new TrainReport(results, clock.Elapsed.TotalSeconds, sftSteps, rl.StepCount, samples, firings, applied, checkpoint, s.OutputDirectory, false);
    }

    private static Dictionary<string, string> Config(TrainSettings s) => new()
    {
        ["suites"] = string.Join(",", s.Suites), ["scale"] = s.Scale.ToString(), ["sft_steps"] = s.SftSteps.ToString(),
        ["rl_steps"] = s.RlSteps.ToString(), ["group_size"] = s.GroupSize.ToString(), ["tasks_per_step"] = s.TasksPerStep.ToString(),
        ["noise"] = s.Noise ? $"curriculum from {s.InitialNoise}, {s.NoisyFraction:P0} of each group" : "off",
        ["dgg"] = s.Dgg ? $"on, K = {s.MaxReuse}" : $"off, K = {s.MaxReuse}", ["seed"] = s.Seed.ToString(),
    };

    private static void Progress(IAnsiConsole console, Action<ProgressContext> action) =>
        console.Progress().AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(action);

    private static Task ProgressAsync(IAnsiConsole console, Func<ProgressContext, Task> action) =>
        console.Progress().AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .StartAsync(action);
}
