using System.Diagnostics;
using Agentic.Core.Agents;
using Agentic.Rl.Checkpoints;
using Agentic.Rl.Reporting;
using Agentic.Training.Evaluation;
using Agentic.Training.Tasks;
using Spectre.Console;

namespace Agentic.Cli.Jobs;

/// <summary>Pooled held-out success of one arm over suites and seeds.</summary>
internal sealed record ArmSuccess(string Arm, double Clean, double CleanLow, double CleanHigh, double Noisy, double NoisyLow, double NoisyHigh, int Episodes,
    IReadOnlyDictionary<string, CleanNoisy> Suites);

/// <summary>One arm of the DGG experiment.</summary>
internal sealed record ReuseArm(string Arm, int MaxReuse, bool Dgg, IReadOnlyList<RlStepMetrics> Steps, int Samples, int Updates, int GateFirings, double Seconds,
    int? SamplesToTarget, double? SecondsToTarget, double InitialReward, double FinalReward, double PeakReward, bool Collapsed, string? Error);

/// <summary>
/// The RL experiments: <c>experiment noise</c> (the same GRPO budget with and without the noise curriculum, both from
/// the same warm start, evaluated clean and noisy) and <c>experiment dgg</c> (single-use, naive K-reuse and DGG
/// K-reuse from the same warm start: samples and wall-clock to a target reward, and whether reuse collapses).
/// </summary>
internal static class RlExperiments
{
    public static async Task<(ArmSuccess Sft, IReadOnlyList<ArmSuccess> Arms, IReadOnlyList<ulong> Seeds)> NoiseAsync(
        TrainSettings s, IReadOnlyList<ulong> seeds, IAnsiConsole console, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var suites = s.Suites.Select(n => TaskSuites.Create(n, s.Scale)).ToArray();
        var rlSuites = s.RlSuites(suites);
        var start = await StartAsync(s, suites, console, clock, cancellationToken);
        var sft = await EvaluateArmAsync("sft", start, suites, s, seeds.Take(1).ToArray(), console, cancellationToken);
        var arms = new List<ArmSuccess>();
        foreach (var (arm, noise) in new[] { ("clean_trained", false), ("noise_trained", true) })
        {
            var results = new Dictionary<string, List<CleanNoisy>>();
            foreach (var seed in seeds)
            {
                var loaded = PolicyCheckpoint.Load(start);
                using var model = loaded.Model;
                var template = WarmStart.Template(loaded.Tokenizer);
                await RlPhase.RunAsync(model, loaded.Tokenizer, template, rlSuites, Phase(s, seed) with { Noise = noise }, null, console, $"{arm} seed {seed}", clock, cancellationToken);
                foreach (var suite in suites)
                {
                    var r = await SuiteEvaluation.EvaluateAsync(suite, model, loaded.Tokenizer, template, s.EvalEpisodes, s.MaxTurns, s.EvalNoise, seed, cancellationToken, s.EvalEngine);
                    (results.TryGetValue(suite.Suite, out var list) ? list : results[suite.Suite] = []).Add(r);
                }
            }
            arms.Add(Pool(arm, results));
        }
        return (sft, arms, seeds);
    }

    public static async Task<(IReadOnlyList<ReuseArm> Arms, double Target)> DggAsync(TrainSettings s, double? target, IAnsiConsole console, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var suites = s.Suites.Select(n => TaskSuites.Create(n, s.Scale)).ToArray();
        var rlSuites = s.RlSuites(suites);
        var start = await StartAsync(s, suites, console, clock, cancellationToken);
        var runs = new List<(string Arm, int K, bool Dgg, RlPhaseResult Result)>();
        foreach (var (arm, k, dgg) in new[] { ("single_use", 1, false), ("naive_reuse", s.MaxReuse, false), ("dgg_reuse", s.MaxReuse, true) })
        {
            var loaded = PolicyCheckpoint.Load(start);
            using var model = loaded.Model;
            var armClock = Stopwatch.StartNew();
            // Every arm sees the same rollout seeds; only the number of updates per batch and the gate differ.
            var result = await RlPhase.RunAsync(model, loaded.Tokenizer, WarmStart.Template(loaded.Tokenizer), rlSuites,
                Phase(s, s.Seed) with { MaxReuse = k, Dgg = dgg, Noise = false }, null, console, arm, armClock, cancellationToken);
            runs.Add((arm, k, dgg, result));
        }

        // The target: 90% of the best smoothed reward the single-use arm reached (or --target).
        double goal = target ?? 0.9 * Smoothed(runs[0].Result.Steps).DefaultIfEmpty(0).Max();
        var arms = runs.Select(r =>
        {
            var smooth = Smoothed(r.Result.Steps);
            int hit = Array.FindIndex(smooth, x => x >= goal);
            double initial = smooth.FirstOrDefault(), final = smooth.LastOrDefault(), peak = smooth.DefaultIfEmpty(0).Max();
            bool collapsed = r.Result.Error is not null || (smooth.Length > 0 && final < Math.Min(initial, peak) - 0.15);
            return new ReuseArm(r.Arm, r.K, r.Dgg, r.Result.Steps, r.Result.Samples, r.Result.UpdatesApplied, r.Result.GateFirings, r.Result.Seconds,
                hit < 0 ? null : r.Result.Steps[hit].Samples, hit < 0 ? null : r.Result.Steps[hit].Seconds, initial, final, peak, collapsed, r.Result.Error?.Message);
        }).ToArray();
        return (arms, goal);
    }

    /// <summary>Mean reward over a trailing window of 5 steps (step rewards vary with the tasks drawn).</summary>
    public static double[] Smoothed(IReadOnlyList<RlStepMetrics> steps) =>
        [.. steps.Select((_, i) => steps.Skip(Math.Max(0, i - 4)).Take(Math.Min(5, i + 1)).Average(x => x.RewardMean))];

    private static async Task<string> StartAsync(TrainSettings s, IReadOnlyList<ITaskSuite> suites, IAnsiConsole console, Stopwatch clock, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(s.OutputDirectory);
        var metadata = new Dictionary<string, string> { ["task"] = string.Join(",", s.Suites), ["scale"] = s.Scale.ToString(), [SuiteSftJob.TemplateToolsKey] = "false" };
        var warm = await WarmStart.RunAsync(s, suites, metadata, null, console, clock, cancellationToken);
        warm.Model.Dispose();
        if (warm.Cancelled) throw new OperationCanceledException("Cancelled during the warm start.");
        return warm.Checkpoint!;
    }

    private static RlPhaseSettings Phase(TrainSettings s, ulong seed) => s.ToRlPhase(seed);

    private static async Task<ArmSuccess> EvaluateArmAsync(string arm, string checkpoint, IReadOnlyList<ITaskSuite> suites, TrainSettings s, IReadOnlyList<ulong> seeds,
        IAnsiConsole console, CancellationToken cancellationToken)
    {
        var loaded = PolicyCheckpoint.Load(checkpoint);
        using var model = loaded.Model;
        var results = new Dictionary<string, List<CleanNoisy>>();
        foreach (var seed in seeds)
        {
            foreach (var suite in suites)
            {
                console.MarkupLine($"evaluating {arm} on {suite.Suite}...");
                var r = await SuiteEvaluation.EvaluateAsync(suite, model, loaded.Tokenizer, WarmStart.Template(loaded.Tokenizer), s.EvalEpisodes, s.MaxTurns, s.EvalNoise, seed, cancellationToken, s.EvalEngine);
                (results.TryGetValue(suite.Suite, out var list) ? list : results[suite.Suite] = []).Add(r);
            }
        }
        return Pool(arm, results);
    }

    private static ArmSuccess Pool(string arm, Dictionary<string, List<CleanNoisy>> results)
    {
        double cleanHits = 0, noisyHits = 0;
        int n = 0;
        var perSuite = new Dictionary<string, CleanNoisy>();
        foreach (var (suite, list) in results)
        {
            foreach (var r in list)
            {
                cleanHits += r.Clean.Success * r.Clean.Episodes;
                noisyHits += r.Noisy.Success * r.Noisy.Episodes;
                n += r.Clean.Episodes;
            }
            // Per-suite figures average the seeds.
            perSuite[suite] = new CleanNoisy(list[0].Clean with { Success = list.Average(r => r.Clean.Success) }, list[0].Noisy with { Success = list.Average(r => r.Noisy.Success) });
        }
        var (cl, ch) = EvaluationReport.WilsonInterval(cleanHits, n);
        var (nl, nh) = EvaluationReport.WilsonInterval(noisyHits, n);
        return new ArmSuccess(arm, cleanHits / n, cl, ch, noisyHits / n, nl, nh, n, perSuite);
    }
}
