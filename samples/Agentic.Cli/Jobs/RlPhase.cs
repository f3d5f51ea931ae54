using System.Diagnostics;
using System.Text.Json;
using Agentic.Core.Agents;
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
using Spectre.Console;

namespace Agentic.Cli.Jobs;

/// <summary>Settings of one GRPO phase.</summary>
internal sealed record RlPhaseSettings
{
    public int Steps { get; init; } = 40;
    public double Minutes { get; init; } = 6;
    public int GroupSize { get; init; } = 8;
    public int TasksPerStep { get; init; } = 3;
    public double LearningRate { get; init; } = 2e-4;
    public bool Noise { get; init; } = true;
    public double NoisyFraction { get; init; } = 0.5;
    public NoiseLevel InitialNoise { get; init; } = NoiseLevel.Low;
    public NoiseLevel MaxNoise { get; init; } = NoiseLevel.Medium;
    public bool Schedule { get; init; } = true;
    public bool Dgg { get; init; } = true;
    public int MaxReuse { get; init; } = 2;
    public int MaxTurns { get; init; } = 8;
    public int MaxPositions { get; init; } = 512;
    public ulong Seed { get; init; } = 1;
    public string? Checkpoint { get; init; }
    /// <summary>A checkpoint written by an earlier run of this phase (weights, optimizer, run state) to continue from.</summary>
    public string? ResumeFrom { get; init; }
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }
}

/// <summary>What a GRPO phase did.</summary>
internal sealed record RlPhaseResult(IReadOnlyList<RlStepMetrics> Steps, int Samples, int GateFirings, int UpdatesApplied, NoiseLevel FinalNoise,
    double Seconds, bool Cancelled, Exception? Error);

/// <summary>
/// One GRPO phase over a round-robin mix of suites: the noise curriculum (optional), DGG or an open gate, shaped rewards,
/// a metrics record per step (JSONL, Meter, TensorBoard), a progress bar, and a checkpoint every 10 steps.
/// </summary>
internal static class RlPhase
{
    public static async Task<RlPhaseResult> RunAsync(MoeCausalLM model, ByteLevelTokenizer tokenizer, ChatTemplate template, IReadOnlyList<ITaskSuite> suites,
        RlPhaseSettings p, TrainingRunLog? log, IAnsiConsole console, string label, Stopwatch runClock, CancellationToken cancellationToken)
    {
        var shapers = suites.ToDictionary(x => x.Suite, x => RewardShaping.Default(x.Suite), StringComparer.OrdinalIgnoreCase);
        GradientGate gate = p.Dgg ? new DynamicGradientGate() : new OpenGradientGate();
        using var policyTrainer = new PolicyGradientTrainer(model, tokenizer.EndOfTextId,
            new PolicyGradientOptions { LearningRate = p.LearningRate, MaxReuse = p.MaxReuse, MicroBatchSize = 8 }, gate);
        var curriculum = p.Noise
            ? new NoiseCurriculum(new NoiseCurriculumOptions { NoisyFraction = p.NoisyFraction, InitialLevel = p.InitialNoise, MaxLevel = p.MaxNoise, Window = 32, Seed = p.Seed })
            : null;
        var rl = new AgentRlTrainer(model, tokenizer, template, suites, t => shapers[t.Task.Suite].Compute(t), policyTrainer,
            new AgentRlOptions { GroupSize = p.GroupSize, TasksPerStep = p.TasksPerStep, MaxTurns = p.MaxTurns, MaxTokens = p.MaxPositions, Seed = p.Seed },
            new GrpoAdvantageEstimator(), curriculum, p.Schedule ? new SuiteScheduler([.. suites.Select(x => x.Suite)]) : null);

        int samples = 0, firings = 0, applied = 0;
        if (p.ResumeFrom is { } resume)
        {
            PolicyCheckpoint.RestoreTrainer(resume, policyTrainer);
            var state = PolicyCheckpoint.ReadRunState(resume) ?? throw new CheckpointException($"Checkpoint '{resume}' holds no RL run state.");
            rl.SetState(JsonSerializer.Deserialize<AgentRlState>(state) ?? throw new CheckpointException($"Checkpoint '{resume}' has an empty RL run state."));
            if (log is not null && File.Exists(log.MetricsPath))
            {
                var earlier = TrainingRunLog.ReadJsonl(log.MetricsPath).Where(m => m.Phase == "rl" && m.Step <= rl.StepCount).ToArray();
                samples = earlier.LastOrDefault()?.Samples ?? 0;
                firings = earlier.Count(m => m.GateFired);
                applied = earlier.Sum(m => m.ReuseIndex);
            }
            console.MarkupLine($"resuming RL at step {rl.StepCount} from {Markup.Escape(resume)}");
        }
        var steps = new List<RlStepMetrics>();
        bool cancelled = false;
        Exception? error = null;
        var clock = Stopwatch.StartNew();
        await console.Progress().AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .StartAsync(async ctx =>
            {
                var bar = ctx.AddTask(label, maxValue: p.Steps);
                while (rl.StepCount < p.Steps && clock.Elapsed.TotalMinutes < p.Minutes)
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
                        error = ex;
                        break;
                    }
                    samples += step.Groups.Sum(g => g.Rollouts.Count);
                    firings += step.Update.Updates.Count(u => u.Gate.Fired);
                    applied += step.Update.Applied;
                    var metrics = Metrics(step, samples, runClock.Elapsed.TotalSeconds);
                    log?.Record(metrics);
                    steps.Add(metrics);
                    bar.Increment(1);
                    bar.Description = $"{label} step {step.Step} reward {step.RewardMean:F2} clean {step.SuccessClean:P0} noisy {(step.SuccessNoisy is { } n ? n.ToString("P0") : "-")} noise {step.NoiseLevel}";
                    if (p.Checkpoint is not null && step.Step % 10 == 0) Save(p, model, tokenizer, policyTrainer, rl);
                }
                bar.Value = bar.MaxValue;
            });
        if (p.Checkpoint is not null) Save(p, model, tokenizer, policyTrainer, rl);
        if (error is not null) console.MarkupLine($"[red]RL stopped:[/] {Markup.Escape(error.Message)} (the last good checkpoint is kept)");
        return new RlPhaseResult(steps, samples, firings, applied, curriculum?.Level ?? NoiseLevel.None, clock.Elapsed.TotalSeconds, cancelled, error);
    }

    /// <summary>The last good state: weights, AdamW moments and the run state, written atomically.</summary>
    private static void Save(RlPhaseSettings p, MoeCausalLM model, ByteLevelTokenizer tokenizer, PolicyGradientTrainer trainer, AgentRlTrainer rl) =>
        PolicyCheckpoint.Save(p.Checkpoint!, model, tokenizer, trainer, p.Metadata, JsonSerializer.Serialize(rl.GetState()));

    private static RlStepMetrics Metrics(AgentRlStep step, int samples, double seconds)
    {
        var last = step.Update.Updates.LastOrDefault(u => u.Applied) ?? step.Update.Updates.LastOrDefault();
        var extra = step.Rollouts.SelectMany(r => r.Reward.Components).GroupBy(c => c.Key).ToDictionary(g => "reward." + g.Key, g => g.Average(c => c.Value));
        extra["dropped_groups"] = step.Groups.Count(g => g.Dropped);
        extra["rollout_seconds"] = step.RolloutSeconds;
        extra["update_seconds"] = step.UpdateSeconds;
        extra["lm_head_grad_norm_first_use"] = step.Update.Updates.FirstOrDefault()?.Gate.LmHeadGradNorm ?? 0;
        extra["policy_tokens"] = step.Rollouts.Average(r => r.Trajectory.LossMask.Count(m => m));
        foreach (var g in step.Groups.GroupBy(g => g.Suite)) extra[$"success.{g.Key}"] = g.SelectMany(x => x.Rollouts).Average(r => r.Trajectory.Success ? 1.0 : 0.0);
        return new RlStepMetrics
        {
            Step = step.Step, Phase = "rl", Seconds = seconds, Samples = samples,
            Loss = last?.Loss ?? 0, RewardMean = step.RewardMean, SuccessClean = step.SuccessClean, SuccessNoisy = step.SuccessNoisy,
            NoisyFraction = step.Rollouts.Average(r => r.Noisy ? 1.0 : 0.0), NoiseLevel = step.NoiseLevel.ToString().ToLowerInvariant(),
            // The norm the last decision was made on (the gated one when the gate fired).
            LmHeadGradNorm = step.Update.Updates.LastOrDefault()?.Gate.LmHeadGradNorm ?? 0,
            GateFired = step.Update.Gated, GateZScore = step.Update.Updates.Select(u => u.Gate.ZScore).LastOrDefault(z => z is not null),
            ReuseIndex = step.Update.Applied, Kl = last?.Kl, Entropy = last?.Entropy, ClipFraction = last?.ClipFraction, Extra = extra,
        };
    }
}
