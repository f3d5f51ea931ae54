using System.Diagnostics;
using Agentic.Core.Agents;
using Agentic.Core.Chat;
using Agentic.Core.Tokenization;
using Agentic.Rl.Checkpoints;
using Agentic.Rl.Modeling;
using Agentic.Rl.Reporting;
using Agentic.Rl.SelfVerification;
using Agentic.Rl.Training;
using Spectre.Console;

namespace Agentic.Cli.Jobs;

/// <summary>The starting policy of an RL run.</summary>
internal sealed record WarmStartResult(MoeCausalLM Model, ByteLevelTokenizer Tokenizer, ChatTemplate Template, int Steps, bool Cancelled, string? Checkpoint)
{
    /// <summary>Demonstrations trained on (0 when loaded from a checkpoint).</summary>
    public int Demonstrations { get; init; }

    /// <summary>Successful demonstrations dropped for being longer than the context.</summary>
    public int Dropped { get; init; }

    /// <summary>Loss of the last SFT step (NaN when none was taken).</summary>
    public double FinalLoss { get; init; } = double.NaN;
}

/// <summary>
/// The SFT warm start shared by <c>agentic train</c> and the experiments: scripted-expert demonstrations of the
/// suites (clean and under tool noise, and user noise with --demo-user-noise), a byte-pair tokenizer fitted on them, and supervised training of the default
/// MoE policy; or a checkpoint loaded with <c>--from</c>. The result is saved to OUT/sft.
/// </summary>
internal static class WarmStart
{
    /// <summary>Steps between re-plans of the SFT schedule against the time budget.</summary>
    private const int PlanEvery = 25;

    public static async Task<WarmStartResult> RunAsync(TrainSettings s, IReadOnlyList<ITaskSuite> suites, IReadOnlyDictionary<string, string> metadata,
        TrainingRunLog? log, IAnsiConsole console, Stopwatch clock, CancellationToken cancellationToken, string checkpointName = "sft")
    {
        if (s.StartFrom is { } start)
        {
            var loaded = PolicyCheckpoint.Load(start);
            console.MarkupLine($"starting from {Markup.Escape(start)}");
            return new WarmStartResult(loaded.Model, loaded.Tokenizer, Template(loaded.Tokenizer), 0, false, loaded.Directory);
        }

        var runs = new List<Trajectory>();
        foreach (var (suite, i) in suites.Select((x, i) => (x, i)))
        {
            runs.AddRange(await Demonstrations.CollectAsync(suite, s.DemonstrationsFor(suite.Suite), s.NoisyDemonstrationFraction, s.DemonstrationNoise, s.Seed + (ulong)i * 101, cancellationToken, s.DemonstrationUserNoise));
        }
        // With self-verification, a share of the answered episodes also teaches the verdict: the expert's answer ("yes")
        // or, in turn, a wrong one of the same shape ("no"), so the RL phase's verdicts are parseable from the start.
        var verification = s.VerifyEvery > 0 ? VerificationDemonstrations(runs, s.Seed) : [];
        var conversations = runs.Select(r => (r.Task.Suite, Messages: r.Messages)).Concat(verification).ToArray();
        var tokenizer = DefaultPolicy.FitTokenizer(conversations.Select(c => c.Messages), s.Merges);
        var template = Template(tokenizer);
        // Each demonstration is encoded once: the per-suite lengths and the training set come from the same encodings.
        var encoded = conversations.Select(c => (c.Suite, Conversation: template.Encode(c.Messages))).ToArray();
        var demos = encoded.Select(e => e.Conversation).Where(c => c.Count <= s.MaxPositions).ToList();
        int dropped = encoded.Length - demos.Count;
        foreach (var suite in encoded.GroupBy(e => e.Suite))
        {
            var lengths = suite.Select(e => e.Conversation.Count).Order().ToArray();
            console.MarkupLine($"  {suite.Key}: {lengths.Length} successful demonstrations, median {lengths[lengths.Length / 2]} tokens, {lengths.Count(l => l > s.MaxPositions)} longer than {s.MaxPositions}");
        }
        if (demos.Count == 0) throw new InvalidOperationException($"No demonstration fits in {s.MaxPositions} positions.");
        var config = DefaultPolicy.Config(tokenizer) with { MaxPositionEmbeddings = s.MaxPositions, PreviousTokenEmbedding = s.PreviousTokens != 0, PreviousTokenWindow = s.PreviousTokens == 0 ? 1 : s.PreviousTokens, AttentionSinks = s.AttentionSinks };
        var model = new MoeCausalLM(config, seed: (long)s.Seed);
        console.MarkupLine($"[bold]warm start[/] {string.Join(", ", s.Suites)} ({s.Scale}): {demos.Count} demonstrations ({dropped} longer than {s.MaxPositions} tokens dropped), {tokenizer.MergeCount} merges, median {demos.Select(d => d.Count).Order().ElementAt(demos.Count / 2)} tokens; {model.ParameterCount:N0} parameters");
        using var sft = new SftTrainer(model, tokenizer.EndOfTextId, new SftOptions
        {
            Steps = s.SftSteps, BatchSize = s.SftBatchSize, LearningRate = s.SftLearningRate, WarmupSteps = Math.Min(50, s.SftSteps / 4), Seed = s.Seed,
            LengthBucketing = true,
        });
        var phaseClock = Stopwatch.StartNew();
        bool cancelled = false;
        double lastLoss = double.NaN;
        console.Progress().AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(ctx =>
            {
                var bar = ctx.AddTask("sft", maxValue: s.SftSteps);
                while (sft.StepCount < sft.PlannedSteps && phaseClock.Elapsed.TotalMinutes < s.SftMinutes)
                {
                    if (cancellationToken.IsCancellationRequested) { cancelled = true; break; }
                    var r = sft.Step(sft.SampleBatch(demos));
                    lastLoss = r.Loss;
                    if (r.Step % PlanEvery == 0 && r.Step < sft.PlannedSteps)
                    {
                        // The time budget, not the step count, usually ends this phase: plan the steps that fit, so
                        // that the cosine decay ends annealed (a run cut off mid-decay stops at a high learning rate).
                        sft.PlanSteps(Math.Clamp((int)(s.SftMinutes * 60 * r.Step / phaseClock.Elapsed.TotalSeconds), r.Step + 1, s.SftSteps));
                        bar.MaxValue = sft.PlannedSteps;
                    }
                    bar.Increment(1);
                    bar.Description = $"sft step {r.Step} loss {r.Loss:F3} lr {r.LearningRate:0.0e0}";
                    if (r.Step % 10 == 0)
                    {
                        log?.Record(new RlStepMetrics { Step = r.Step, Phase = "sft", Seconds = clock.Elapsed.TotalSeconds, Loss = r.Loss, LmHeadGradNorm = r.LmHeadGradNorm, NoiseLevel = "none" });
                    }
                }
                bar.Value = bar.MaxValue;
            });
        var directory = Path.Combine(s.OutputDirectory, checkpointName);
        PolicyCheckpoint.Save(directory, model, tokenizer, sft, metadata);
        return new WarmStartResult(model, tokenizer, template, sft.StepCount, cancelled, directory)
        {
            Demonstrations = demos.Count, Dropped = dropped, FinalLoss = lastLoss,
        };
    }

    /// <summary>Share of the answered expert episodes that also become a verification demonstration.</summary>
    public const double VerificationShare = 0.25;

    /// <summary>
    /// Verification demonstrations from the expert episodes that end in an answer: for <see cref="VerificationShare"/> of
    /// them, alternately the pair with the expert's answer and the pair with a wrong one, each with its verdict.
    /// </summary>
    public static IReadOnlyList<(string Suite, IReadOnlyList<Microsoft.Extensions.AI.ChatMessage> Messages)> VerificationDemonstrations(IReadOnlyList<Trajectory> runs, ulong seed)
    {
        var random = new Agentic.Core.Randomness.DeterministicRandom(seed ^ 0x5E1F_0E21UL);
        var prompt = new VerificationPrompt();
        var demonstrations = new List<(string, IReadOnlyList<Microsoft.Extensions.AI.ChatMessage>)>();
        foreach (var run in runs)
        {
            if (random.NextDouble() >= VerificationShare) continue;
            var pairs = AgentVerification.Demonstrations(run, random);
            if (pairs.Count == 0) continue;
            demonstrations.Add(($"{run.Task.Suite}:verify", [.. prompt.Demonstration(pairs[demonstrations.Count % 2])]));
        }
        return demonstrations;
    }

    /// <summary>The template suite policies use: tools are learnt from demonstrations, not listed in the prompt.</summary>
    public static ChatTemplate Template(ByteLevelTokenizer tokenizer) =>
        new(tokenizer, new ChatTemplateOptions { IncludeToolsInSystemPrompt = false });
}
