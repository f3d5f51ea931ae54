using System.Diagnostics;
using System.Text.Json;
using Agentic.Core.Agents;
using Agentic.Core.Chat;
using Agentic.Core.Randomness;
using Agentic.Core.Tokenization;
using Agentic.Rl.Advantages;
using Agentic.Rl.Asynchronous;
using Agentic.Rl.Checkpoints;
using Agentic.Rl.Gating;
using Agentic.Rl.Losses;
using Agentic.Rl.Modeling;
using Agentic.Rl.Reporting;
using Agentic.Rl.Rewards;
using Agentic.Rl.Rollouts;
using Agentic.Rl.SelfVerification;
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
    public double LearningRate { get; init; } = 5e-5;
    /// <summary>How the policy loss averages over tokens.</summary>
    public LossAggregation Aggregation { get; init; } = LossAggregation.TokenMean;
    /// <summary>Sampling temperature of the rollouts (and of the trainer's log-probabilities).</summary>
    public double Temperature { get; init; } = 1.0;
    /// <summary>Nucleus truncation of the rollout sampler (1 = off); the log-probabilities stay the full distribution's.</summary>
    public double TopP { get; init; } = 1.0;
    /// <summary>How a rollout's advantage is spread over its tokens.</summary>
    public CreditAssignment Credit { get; init; } = CreditAssignment.Episode;
    public RolloutDecoder Decoder { get; init; } = RolloutDecoder.TorchSharp;
    /// <summary>Whether RL updates keep balancing the MoE router bias.</summary>
    public bool BalanceRouters { get; init; } = true;
    /// <summary>Chance that a group replays a partly solved task.</summary>
    public double ReplayFraction { get; init; }
    /// <summary>Highest success share of a subgroup that still carries loss (1 = off).</summary>
    public double MaxSubgroupSuccess { get; init; } = 1.0;
    /// <summary>Most rollout batches per step: refill while dynamic sampling keeps fewer groups than TasksPerStep (1 = off).</summary>
    public int RolloutBatches { get; init; } = 1;

    /// <summary>Off-policy guidance by the suites' scripted experts (LUFFY).</summary>
    public bool ExpertGuidance { get; init; }

    /// <summary>Recovery guidance: the suites' scripted experts take over failed rollouts from the policy's own states.</summary>
    public bool ExpertRecovery { get; init; }

    /// <summary>Self-imitation: only positive advantages carry loss.</summary>
    public bool PositiveAdvantages { get; init; }

    /// <summary>Weight of the answer-similarity (near-miss partial credit) reward term; 0 = off.</summary>
    public double AnswerSimilarity { get; init; }

    /// <summary>Weight of the memory-evidence reward term; 0 = off.</summary>
    public double MemoryEvidence { get; init; }

    /// <summary>Weight of the stated-key reward term; 0 = off.</summary>
    public double StatedKey { get; init; }

    /// <summary>Weight of the exit-timing (GRU-Mem exit) reward term; 0 = off.</summary>
    public double ExitTiming { get; init; }

    /// <summary>Self-verification steps every this many RL steps (0 = off).</summary>
    public int VerifyEvery { get; init; }
    public bool Noise { get; init; } = true;
    public double NoisyFraction { get; init; } = 0.5;
    public NoiseLevel InitialNoise { get; init; } = NoiseLevel.Low;
    public NoiseLevel MaxNoise { get; init; } = NoiseLevel.Medium;
    public bool Schedule { get; init; } = true;
    /// <summary>Common random numbers: the noisy rollouts of a group share one episode (noise) seed.</summary>
    public bool SharedSeeds { get; init; } = true;
    public bool Dgg { get; init; } = true;
    public int MaxReuse { get; init; } = 2;
    public int MaxTurns { get; init; } = 8;
    public int MaxPositions { get; init; } = 512;
    public ulong Seed { get; init; } = 1;
    public string? Checkpoint { get; init; }
    /// <summary>Steps between checkpoints.</summary>
    public int CheckpointEvery { get; init; } = 10;
    /// <summary>Asynchronous rollouts: in-process workers generate while the trainer trains.</summary>
    public bool Async { get; init; }
    /// <summary>Rollout workers of an asynchronous phase.</summary>
    public int Workers { get; init; } = 2;
    /// <summary>Staleness bound of an asynchronous phase (policy versions).</summary>
    public int MaxStaleness { get; init; } = 2;
    /// <summary>Groups a rollout worker generates in one batch (asynchronous phase).</summary>
    public int RequestsPerBatch { get; init; } = 1;
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
        var shapers = suites.ToDictionary(x => x.Suite, x => RewardShaping.Create(new RewardShapingOptions { Suite = x.Suite, AnswerSimilarityWeight = p.AnswerSimilarity, MemoryEvidenceWeight = p.MemoryEvidence, ExitTimingWeight = p.ExitTiming, StatedKeyWeight = p.StatedKey }), StringComparer.OrdinalIgnoreCase);
        GradientGate gate = p.Dgg ? new DynamicGradientGate() : new OpenGradientGate();
        using var policyTrainer = new PolicyGradientTrainer(model, tokenizer.EndOfTextId,
            new PolicyGradientOptions
            {
                LearningRate = p.LearningRate, MaxReuse = p.MaxReuse, MicroBatchSize = 8, Temperature = p.Temperature, BalanceRouters = p.BalanceRouters,
                Loss = new PolicyLossOptions { Aggregation = p.Aggregation },
            }, gate);
        var curriculum = p.Noise
            ? new NoiseCurriculum(new NoiseCurriculumOptions { NoisyFraction = p.NoisyFraction, InitialLevel = p.InitialNoise, MaxLevel = p.MaxNoise, Window = 32, Seed = p.Seed })
            : null;
        var options = new AgentRlOptions { GroupSize = p.GroupSize, TasksPerStep = p.TasksPerStep, MaxTurns = p.MaxTurns, MaxTokens = p.MaxPositions, Seed = p.Seed, Temperature = p.Temperature, TopP = p.TopP, Credit = p.Credit, Decoder = p.Decoder, ReplayFraction = p.ReplayFraction, MaxSubgroupSuccess = p.MaxSubgroupSuccess, MaxRolloutBatches = p.RolloutBatches, SharedEpisodeSeeds = p.SharedSeeds, ExpertGuidance = p.ExpertGuidance, ExpertRecovery = p.ExpertRecovery };
        Func<Trajectory, RewardBreakdown> reward = t => shapers[t.Task.Suite].Compute(t);
        var scheduler = p.Schedule ? new SuiteScheduler([.. suites.Select(x => x.Suite)]) : null;
        var advantages = new GrpoAdvantageEstimator(new GrpoAdvantageOptions { PositiveOnly = p.PositiveAdvantages });
        await using var rl = p.Async
            ? RlLoop.Asynchronous(model, tokenizer, template, suites, reward, policyTrainer, options, advantages, curriculum, scheduler, p.Workers, p.MaxStaleness, p.RequestsPerBatch)
            : RlLoop.Synchronous(new AgentRlTrainer(model, tokenizer, template, suites, reward, policyTrainer, options, advantages, curriculum, scheduler));

        // Self-verification as a second task: the policy's own answers feed a balanced buffer, and every VerifyEvery steps
        // the policy is trained to judge a batch of them with the same trainer (and gate) and advantages as generation.
        var verifier = p.VerifyEvery > 0
            ? new SelfVerificationTrainer(model, tokenizer, template, policyTrainer, new SelfVerificationOptions { Every = p.VerifyEvery, PairsPerStep = 8, GroupSize = p.GroupSize }, advantages: advantages)
            : null;
        var verifyRandom = new DeterministicRandom(p.Seed ^ 0x7E21_F1E5UL);

        int samples = 0, firings = 0, applied = 0;
        if (p.ResumeFrom is { } resume)
        {
            PolicyCheckpoint.RestoreTrainer(resume, policyTrainer);
            var state = PolicyCheckpoint.ReadRunState(resume) ?? throw new CheckpointException($"Checkpoint '{resume}' holds no RL run state.");
            rl.Restore(state, resume);
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
        string? boundary = null;
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
                    // The run state at this step boundary: what a checkpoint holds if the step is cancelled half-way
                    // (the rollouts have advanced the random stream, but the weights and optimizer are untouched).
                    boundary = rl.State();
                    try
                    {
                        step = await rl.StepAsync(cancellationToken);
                    }
                    catch (OperationCanceledException)
                    {
                        cancelled = true;
                        break;
                    }
                    catch (Exception ex) when (ex is NonFiniteLossException or InvalidOperationException)
                    {
                        // A non-finite loss, or a rollout backend that keeps failing: stop with the last good checkpoint.
                        error = ex;
                        break;
                    }
                    samples += step.Groups.Sum(g => g.Rollouts.Count);
                    firings += step.Update.Updates.Count(u => u.Gate.Fired);
                    applied += step.Update.Applied;
                    var verified = verifier is null ? null : Verify(verifier, step, template, p, verifyRandom);
                    var metrics = Metrics(step, samples, runClock.Elapsed.TotalSeconds, verified);
                    log?.Record(metrics);
                    steps.Add(metrics);
                    bar.Increment(1);
                    bar.Description = $"{label} step {step.Step} reward {step.RewardMean:F2} clean {step.SuccessClean:P0} noisy {(step.SuccessNoisy is { } n ? n.ToString("P0") : "-")} noise {step.NoiseLevel}";
                    boundary = null;
                    if (p.Checkpoint is not null && step.Step % p.CheckpointEvery == 0) Save(p, model, tokenizer, policyTrainer, rl.State());
                }
                bar.Value = bar.MaxValue;
            });
        // A failed step (non-finite loss, failing workers) never reaches a checkpoint: the last periodic one stands.
        if (p.Checkpoint is not null && error is null) Save(p, model, tokenizer, policyTrainer, boundary ?? rl.State());
        if (error is not null) console.MarkupLine($"[red]RL stopped:[/] {Markup.Escape(error.Message)} (the last good checkpoint is kept)");
        return new RlPhaseResult(steps, samples, firings, applied, curriculum?.Level ?? NoiseLevel.None, clock.Elapsed.TotalSeconds, cancelled, error);
    }

    /// <summary>The last good state: weights, AdamW moments and the run state, written atomically.</summary>
    private static void Save(RlPhaseSettings p, MoeCausalLM model, ByteLevelTokenizer tokenizer, PolicyGradientTrainer trainer, string runState) =>
        PolicyCheckpoint.Save(p.Checkpoint!, model, tokenizer, trainer, p.Metadata, runState);

    /// <summary>Adds the step's answered rollouts that fit the context to the verifier's buffer; trains a verification step when one is due.</summary>
    private static VerificationStepResult? Verify(SelfVerificationTrainer verifier, AgentRlStep step, ChatTemplate template, RlPhaseSettings p, Random random)
    {
        foreach (var rollout in step.Rollouts)
        {
            if (AgentVerification.FromTrajectory(rollout.Trajectory) is { } pair && FitsContext(pair, verifier.Prompt, template, verifier.Options.MaxNewTokens, p.MaxPositions))
                verifier.Buffer.Add(pair);
        }
        return verifier.IsDue(step.Step) ? verifier.Step(random, p.Seed * 7_919 + (ulong)step.Step) : null;
    }

    /// <summary>Whether the verification question of <paramref name="pair"/> and a verdict of up to <paramref name="maxNewTokens"/> tokens fit the policy's context.</summary>
    public static bool FitsContext(VerificationExample pair, VerificationPrompt prompt, ChatTemplate template, int maxNewTokens, int maxPositions) =>
        template.Encode(prompt.Format(pair), addGenerationPrompt: true).Count + maxNewTokens <= maxPositions;

    private static RlStepMetrics Metrics(AgentRlStep step, int samples, double seconds, VerificationStepResult? verified = null)
    {
        var last = step.Update.Updates.LastOrDefault(u => u.Applied) ?? step.Update.Updates.LastOrDefault();
        var extra = step.Rollouts.SelectMany(r => r.Reward.Components).GroupBy(c => c.Key).ToDictionary(g => "reward." + g.Key, g => g.Average(c => c.Value));
        extra["rollout_groups"] = step.Groups.Count;
        extra["dropped_groups"] = step.Groups.Count(g => g.Dropped);
        extra["guidance_rollouts"] = step.Groups.Sum(g => g.Guidance.Count);
        extra["recovery_rollouts"] = step.Groups.Sum(g => g.Guidance.Count(r => r.IsRecovery));
        extra["guidance_advantage_mean"] = step.Groups.SelectMany(g => g.Guidance).Select(r => r.Advantage).DefaultIfEmpty(0).Average();
        extra["rollout_seconds"] = step.RolloutSeconds;
        extra["update_seconds"] = step.UpdateSeconds;
        extra["policy_version"] = step.PolicyVersion;
        extra["stale_dropped"] = step.StaleDropped;
        extra["mean_staleness"] = step.MeanStaleness;
        extra["lm_head_grad_norm_first_use"] = step.Update.Updates.FirstOrDefault()?.Gate.LmHeadGradNorm ?? 0;
        // How far the rollout engine's sampling log-probabilities are from the trainer's recomputed ones.
        extra["logprob_mismatch_max"] = step.Update.MaxLogProbMismatch;
        extra["importance_weight_mean"] = step.Update.MeanImportanceWeight;
        extra["policy_tokens"] = step.Rollouts.Average(r => r.Trajectory.LossMask.Count(m => m));
        // Token-level credit: the share of the trained policy tokens that carry a non-zero advantage.
        var credited = step.Groups.Where(g => !g.Dropped).SelectMany(g => g.Rollouts).Where(r => r.TokenAdvantages is not null).ToArray();
        if (credited.Length > 0)
            extra["credited_token_share"] = credited.Sum(r => r.TokenAdvantages!.Where((a, t) => a != 0 && r.Trajectory.LossMask[t]).Count())
                / (double)Math.Max(1, credited.Sum(r => r.Trajectory.LossMask.Count(m => m)));
        if (verified is { Pairs: > 0 } v)
        {
            extra["verify.pairs"] = v.Pairs;
            extra["verify.accuracy"] = v.Accuracy;
            extra["verify.invalid"] = v.InvalidVerdicts;
            extra["verify.applied"] = v.Update?.Applied ?? 0;
        }
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
