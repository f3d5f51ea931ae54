using System.Diagnostics;
using System.Globalization;
using Agentic.Core.Chat;
using Agentic.Core.Randomness;
using Agentic.Core.Sampling;
using Agentic.Core.Tokenization;
using Agentic.Rl.Advantages;
using Agentic.Rl.Checkpoints;
using Agentic.Rl.Generation;
using Agentic.Rl.Modeling;
using Agentic.Rl.SelfVerification;
using Agentic.Rl.Training;
using Agentic.Training.Tasks.Addition;
using Spectre.Console;

namespace Agentic.Cli.Jobs;

/// <summary>Settings of <c>agentic experiment self-verify</c>.</summary>
internal sealed record SelfVerifySettings
{
    public string OutputDirectory { get; init; } = "runs/experiment-self-verify";
    public int Digits { get; init; } = 3;
    public int SftSteps { get; init; } = 900;
    public int SftBatchSize { get; init; } = 32;
    public double VerificationShare { get; init; } = 0.25;
    public int RlSteps { get; init; } = 30;
    public int ProblemsPerStep { get; init; } = 8;
    public int GroupSize { get; init; } = 8;
    public int VerifyEvery { get; init; } = 2;
    public double LearningRate { get; init; } = 5e-5;
    /// <summary>AdamW beta2 of the RL updates.</summary>
    public double Beta2 { get; init; } = 0.99;
    /// <summary>Weight of the k3 KL penalty to the frozen warm start (0 = none).</summary>
    public double KlCoefficient { get; init; }
    public int EvalProblems { get; init; } = 200;
    public ulong Seed { get; init; } = 1;
    /// <summary>A warm-start checkpoint of an earlier run to reuse (its SFT is skipped).</summary>
    public string? StartFrom { get; init; }
}

/// <summary>Generation and verification accuracy of one arm.</summary>
internal sealed record SelfVerifyArm(string Arm, double GenerationAccuracy, double VerificationAccuracy, int GenerationSteps, int VerificationSteps, double Seconds);

/// <summary>
/// Learning to self-verify, in miniature: from one SFT warm start on addition (column scratchpad) whose data also holds
/// a share of verification demonstrations (synthetic right and wrong answers, so the format exists), GRPO on
/// generation alone versus generation plus verification of the policy's own on-policy answers (balanced, every N
/// generation steps). Both arms are measured on held-out generation accuracy (greedy) and on verification accuracy
/// over a fixed, balanced set of the warm-start policy's own sampled answers to held-out problems.
/// </summary>
internal static class SelfVerifyExperiment
{
    public static async Task<(SelfVerifyArm Sft, IReadOnlyList<SelfVerifyArm> Arms, int VerificationSetSize)> RunAsync(SelfVerifySettings s, IAnsiConsole console, CancellationToken cancellationToken)
    {
        await Task.Yield();
        Directory.CreateDirectory(s.OutputDirectory);
        var tokenizer = DefaultPolicy.CreateTokenizer();
        var template = DefaultPolicy.CreateTemplate(tokenizer);
        var prompt = new WorkedVerificationPrompt();
        var verification = new SelfVerificationOptions { Every = s.VerifyEvery, GroupSize = s.GroupSize, MaxNewTokens = WorkedVerificationPrompt.MaxReplyTokens };
        var task = new AdditionTask(new AdditionTaskOptions { MaxDigits = s.Digits });
        var random = new DeterministicRandom(s.Seed);

        // 1. Warm start: addition demonstrations plus a share of verification demonstrations.
        // Enough distinct problems that none repeats much (a small set is memorised and held-out accuracy stays 0).
        var problems = task.SampleTraining(random, Math.Clamp(s.SftSteps * s.SftBatchSize, 1_000, 200_000));
        var data = problems.Select((p, i) => random.NextDouble() < s.VerificationShare
            ? template.Encode(prompt.Demonstration(Synthetic(p, random)))
            : template.Encode(p.ToDemonstration(AdditionFormat.ColumnScratchpad))).ToArray();
        var start = s.StartFrom ?? Path.Combine(s.OutputDirectory, "sft");
        if (s.StartFrom is null)
        {
            using var model = new MoeCausalLM(DefaultPolicy.Config(tokenizer), seed: (long)s.Seed);
            using var sft = new SftTrainer(model, tokenizer.EndOfTextId, new SftOptions { Steps = s.SftSteps, BatchSize = s.SftBatchSize, WarmupSteps = Math.Min(50, s.SftSteps / 4), Seed = s.Seed });
            console.Progress().AutoClear(false).Start(ctx =>
            {
                var bar = ctx.AddTask("sft (addition + verification)", maxValue: s.SftSteps);
                while (sft.StepCount < s.SftSteps && !cancellationToken.IsCancellationRequested)
                {
                    var r = sft.Step(sft.SampleBatch(data));
                    bar.Increment(1);
                    bar.Description = $"sft step {r.Step} loss {r.Loss:F3}";
                }
            });
            PolicyCheckpoint.Save(start, model, tokenizer, sft);
        }
        cancellationToken.ThrowIfCancellationRequested();

        // 2. The fixed evaluation sets: held-out problems, and the warm start's own sampled answers to them, balanced.
        var heldOut = task.SampleHeldOut(random.Fork(7), s.EvalProblems);
        IReadOnlyList<VerificationExample> verifySet;
        SelfVerifyArm sftArm;
        {
            var loaded = PolicyCheckpoint.Load(start);
            using var model = loaded.Model;
            var clock = Stopwatch.StartNew();
            var own = Answers(model, tokenizer, template, heldOut, temperature: 1, seed: s.Seed + 11);
            var correct = own.Where(e => e.Correct).ToArray();
            var wrong = own.Where(e => !e.Correct).ToArray();
            int half = Math.Min(correct.Length, wrong.Length);
            verifySet = [.. correct.Take(half), .. wrong.Take(half)];
            sftArm = Measure("sft", model, tokenizer, template, heldOut, verifySet, verification, prompt, 0, 0, clock);
        }

        // 3. Two arms from the same warm start and the same rollout seeds.
        var arms = new List<SelfVerifyArm>();
        var log = new List<string>();
        foreach (var (arm, verify) in new[] { ("generation_only", false), ("generation_and_verification", true) })
        {
            var loaded = PolicyCheckpoint.Load(start);
            using var model = loaded.Model;
            var clock = Stopwatch.StartNew();
            using var reference = s.KlCoefficient > 0 ? PolicyCheckpoint.Load(start).Model : null;
            using var trainer = new PolicyGradientTrainer(model, tokenizer.EndOfTextId, new PolicyGradientOptions
            {
                LearningRate = s.LearningRate, Beta2 = s.Beta2, MicroBatchSize = 32, Loss = new() { KlCoefficient = s.KlCoefficient },
            }, reference: reference);
            var verifier = new SelfVerificationTrainer(model, tokenizer, template, trainer, verification, prompt);
            var armRandom = new DeterministicRandom(s.Seed + 1000);
            var estimator = new GrpoAdvantageEstimator();
            int verificationSteps = 0;
            double lastAccuracy = double.NaN, lastVerify = double.NaN;
            console.Progress().AutoClear(false).Start(ctx =>
            {
                var bar = ctx.AddTask(arm, maxValue: s.RlSteps);
                for (int step = 1; step <= s.RlSteps && !cancellationToken.IsCancellationRequested; step++)
                {
                    var batch = task.SampleTraining(armRandom, s.ProblemsPerStep);
                    var prompts = batch.Select(p => template.Encode(p.ToPrompt(), addGenerationPrompt: true).Ids.ToArray()).ToArray();
                    var generations = new PolicyGenerator(model, tokenizer.EndOfTextId).Generate(
                        [.. prompts.SelectMany(p => Enumerable.Repeat((IReadOnlyList<int>)p, s.GroupSize))],
                        new SamplingOptions { Temperature = 1, MaxNewTokens = 48, StopTokenIds = template.StopTokenIds, Seed = s.Seed * 7919 + (ulong)step });
                    var samples = new List<PolicySample>();
                    int right = 0;
                    for (int p = 0; p < batch.Count; p++)
                    {
                        var texts = Enumerable.Range(0, s.GroupSize).Select(j => Text(tokenizer, template, generations[p * s.GroupSize + j].TokenIds)).ToArray();
                        var ok = texts.Select(batch[p].IsCorrect).ToArray();
                        right += ok.Count(x => x);
                        for (int j = 0; j < texts.Length; j++) verifier.Buffer.Add(new VerificationExample(batch[p].Question, FinalAnswer(texts[j]), ok[j]));
                        var advantages = estimator.Estimate([.. ok.Select(x => new GroupedReward(x ? 1 : 0))]);
                        if (advantages.All(a => a == 0)) continue;
                        for (int j = 0; j < texts.Length; j++)
                        {
                            var g = generations[p * s.GroupSize + j];
                            samples.Add(new PolicySample([.. prompts[p], .. g.TokenIds], [.. prompts[p].Select(_ => false), .. g.TokenIds.Select(_ => true)], [.. prompts[p].Select(_ => 0f), .. g.LogProbs], advantages[j]));
                        }
                    }
                    var update = trainer.Train(samples);
                    var last = update.Updates.LastOrDefault();
                    lastAccuracy = right / (double)(batch.Count * s.GroupSize);
                    // Per update: sampled accuracy, and whether the trainer agrees with the sampler and how far it moved.
                    log.Add(FormattableString.Invariant($"{arm} step {step} accuracy {lastAccuracy:F3} samples {samples.Count} mismatch {update.MaxLogProbMismatch:F4} weight {update.MeanImportanceWeight:F3} entropy {last?.Entropy:F3} clip {last?.ClipFraction:F3} grad {last?.GradNorm:F3} loss {last?.Loss:F4} kl {last?.Kl:F4}"));
                    if (verify && verifier.IsDue(step))
                    {
                        // A step needs both correct and incorrect answers in the buffer (balanced batches).
                        var v = verifier.Step(armRandom, s.Seed * 31 + (ulong)step);
                        if (v.Pairs > 0) { lastVerify = v.Accuracy; verificationSteps++; }
                    }
                    bar.Increment(1);
                    bar.Description = $"{arm} step {step} train accuracy {lastAccuracy:P0}" + (verify ? $" verify {lastVerify:P0}" : "");
                }
            });
            arms.Add(Measure(arm, model, tokenizer, template, heldOut, verifySet, verification, prompt, s.RlSteps, verificationSteps, clock));
        }
        File.WriteAllLines(Path.Combine(s.OutputDirectory, "steps.log"), log);
        return (sftArm, arms, verifySet.Count);
    }

    private static SelfVerifyArm Measure(string arm, MoeCausalLM model, ByteLevelTokenizer tokenizer, ChatTemplate template, IReadOnlyList<AdditionProblem> heldOut,
        IReadOnlyList<VerificationExample> verifySet, SelfVerificationOptions options, VerificationPrompt prompt, int steps, int verificationSteps, Stopwatch clock)
    {
        var greedy = Answers(model, tokenizer, template, heldOut, temperature: 0, seed: 0);
        double generation = greedy.Count(e => e.Correct) / (double)greedy.Length;
        double verification = SelfVerificationTrainer.Evaluate(model, tokenizer, template, verifySet, prompt, options.MaxNewTokens);
        return new SelfVerifyArm(arm, generation, verification, steps, verificationSteps, clock.Elapsed.TotalSeconds);
    }

    private static VerificationExample[] Answers(MoeCausalLM model, ByteLevelTokenizer tokenizer, ChatTemplate template, IReadOnlyList<AdditionProblem> problems, float temperature, ulong seed)
    {
        var generator = new PolicyGenerator(model, tokenizer.EndOfTextId);
        var result = new List<VerificationExample>();
        foreach (var chunk in problems.Chunk(64))
        {
            var generations = generator.Generate([.. chunk.Select(p => (IReadOnlyList<int>)template.Encode(p.ToPrompt(), addGenerationPrompt: true).Ids.ToArray())],
                new SamplingOptions { Temperature = temperature, MaxNewTokens = 48, StopTokenIds = template.StopTokenIds, Seed = seed + (ulong)result.Count });
            result.AddRange(chunk.Select((p, i) =>
            {
                var text = Text(tokenizer, template, generations[i].TokenIds);
                return new VerificationExample(p.Question, FinalAnswer(text), p.IsCorrect(text));
            }));
        }
        return [.. result];
    }

    private static string Text(ByteLevelTokenizer tokenizer, ChatTemplate template, int[] ids) =>
        TokenText.DecodeValidPrefix(tokenizer, ids.Where(t => t != template.EndOfTurnId).ToArray(), out _);

    private static string FinalAnswer(string completion)
    {
        int end = completion.LastIndexOf("</think>", StringComparison.Ordinal);
        return (end >= 0 ? completion[(end + "</think>".Length)..] : completion).Trim();
    }

    /// <summary>A synthetic verification pair: the right sum, or one with a single digit changed.</summary>
    private static VerificationExample Synthetic(AdditionProblem p, Random random)
    {
        if (random.Next(2) == 0) return new VerificationExample(p.Question, p.Answer, true);
        var digits = p.Answer.ToCharArray();
        int i = random.Next(digits.Length);
        digits[i] = (char)('0' + ((digits[i] - '0' + 1 + random.Next(9)) % 10));
        var wrong = new string(digits);
        return wrong == p.Answer ? new VerificationExample(p.Question, p.Answer, true) : new VerificationExample(p.Question, wrong, false);
    }

    /// <summary>
    /// The verifier works the sum out first, in the generator's column scratchpad, then compares it with the answer:
    /// <c>&lt;think&gt;979 000 979&lt;/think&gt;no</c> for "What is 485+494? Answer: 978". The bare yes/no verdict asks
    /// a 2M-parameter policy to add in one token, which it cannot; worked verdicts make the two tasks share the skill.
    /// </summary>
    internal sealed class WorkedVerificationPrompt : VerificationPrompt
    {
        /// <summary>Enough tokens for the working and the verdict of up to 6-digit operands.</summary>
        public const int MaxReplyTokens = 48;

        private static readonly System.Text.RegularExpressions.Regex s_operands = new(@"(\d+)\+(\d+)", System.Text.RegularExpressions.RegexOptions.Compiled);

        public override string Reply(VerificationExample example)
        {
            var match = s_operands.Match(example.Problem);
            if (!match.Success) return base.Reply(example);
            var worked = new AdditionProblem(long.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture), long.Parse(match.Groups[2].Value, CultureInfo.InvariantCulture))
                .Reply(AdditionFormat.ColumnScratchpad).Replace("</think>", " ", StringComparison.Ordinal);
            return $"{worked}</think>{Verdict(example.Correct)}";
        }
    }

    internal static string Percent(double x) => double.IsNaN(x) ? "n/a" : x.ToString("P1", CultureInfo.InvariantCulture);
}
