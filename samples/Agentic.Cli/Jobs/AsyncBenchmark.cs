using System.Diagnostics;
using Agentic.Core.Agents;
using Agentic.Rl.Checkpoints;
using Agentic.Training.Tasks;
using Microsoft.Extensions.AI;
using Spectre.Console;
using TorchSharp;

namespace Agentic.Cli.Jobs;

/// <summary>Settings of <c>agentic bench async</c>.</summary>
internal sealed record AsyncBenchSettings
{
    public string OutputDirectory { get; init; } = "runs/bench-async";
    public IReadOnlyList<string> Suites { get; init; } = ["tooluse"];
    public string? From { get; init; }
    public int Demos { get; init; } = 300;
    public int SftSteps { get; init; } = 300;
    public int Steps { get; init; } = 12;
    public int GroupSize { get; init; } = 8;
    public int TasksPerStep { get; init; } = 6;
    public int Workers { get; init; } = 2;
    public int MaxStaleness { get; init; } = 2;
    public int RequestsPerBatch { get; init; } = 3;
    /// <summary>Scale (minimum) of the Pareto-distributed tool latency in ms; 0 turns the long tail off.</summary>
    public double LatencyMs { get; init; } = 20;
    /// <summary>Tail index of the tool latency (smaller is heavier).</summary>
    public double LatencyAlpha { get; init; } = 1.2;
    /// <summary>Longest tool latency in ms (below the loop's tool timeout).</summary>
    public double LatencyCapMs { get; init; } = 3000;
    public int SyncThreads { get; init; }
    public int AsyncThreads { get; init; }
    public ulong Seed { get; init; } = 1;
}

/// <summary>One arm of the benchmark.</summary>
internal sealed record AsyncBenchArm(string Name, int Threads, double Seconds, double WaitSeconds, int Trajectories, double FinalReward, int StaleDropped, double MeanStaleness,
    double CpuSeconds)
{
    /// <summary>Share of the machine's cores the process kept busy.</summary>
    public double CpuUtilization => CpuSeconds / (Seconds * Environment.ProcessorCount);

    public double TrajectoriesPerSecond => Trajectories / Seconds;

    public double IdleFraction => WaitSeconds / Seconds;
}

/// <summary>What <c>agentic bench async</c> measured.</summary>
internal sealed record AsyncBenchResult(AsyncBenchArm Sync, AsyncBenchArm Async, string Policy, double ToolLatencyMeanMs, double ToolLatencyP99Ms)
{
    public double ThroughputRatio => Async.TrajectoriesPerSecond / Sync.TrajectoriesPerSecond;
}

/// <summary>
/// <c>agentic bench async</c>: the same RL budget (steps x groups x rollouts) run synchronously (generate, then train)
/// and asynchronously (in-process rollout workers generate while the trainer trains), from the same starting policy, on
/// environments whose tools answer with a long-tailed (Pareto) latency, the way real tools do. Reports trainer idle
/// fraction, trajectories per second and final reward of both, and the throughput ratio.
/// </summary>
internal static class AsyncBenchmark
{
    public static async Task<AsyncBenchResult> RunAsync(AsyncBenchSettings s, IAnsiConsole console, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(s.OutputDirectory);
        var clock = Stopwatch.StartNew();
        var suites = s.Suites.Select(name => TaskSuites.Create(name, SuiteScale.Small)).ToArray();
        string policy = s.From ?? Path.Combine(s.OutputDirectory, "sft");
        if (s.From is null)
        {
            var train = new TrainSettings
            {
                OutputDirectory = s.OutputDirectory, Suites = s.Suites, DemonstrationsPerSuite = s.Demos, SftSteps = s.SftSteps, SftMinutes = 30, Seed = s.Seed,
            };
            var warm = await WarmStart.RunAsync(train, suites, new Dictionary<string, string>(), null, console, clock, cancellationToken);
            warm.Model.Dispose();
        }

        var tailed = s.LatencyMs > 0 ? suites.Select(x => (ITaskSuite)new LongTailSuite(x, s.LatencyMs, s.LatencyAlpha, s.LatencyCapMs)).ToArray() : suites;
        var sync = await ArmAsync("sync", asynchronous: false, s.SyncThreads, s, policy, tailed, console, cancellationToken);
        var asyncArm = await ArmAsync("async", asynchronous: true, s.AsyncThreads, s, policy, tailed, console, cancellationToken);
        var (mean, p99) = LatencyMoments(s);
        return new AsyncBenchResult(sync, asyncArm, policy, mean, p99);
    }

    private static async Task<AsyncBenchArm> ArmAsync(string name, bool asynchronous, int threads, AsyncBenchSettings s, string policy, IReadOnlyList<ITaskSuite> suites,
        IAnsiConsole console, CancellationToken cancellationToken)
    {
        int before = torch.get_num_threads();
        if (threads > 0) torch.set_num_threads(threads);
        try
        {
            var loaded = PolicyCheckpoint.Load(policy);
            using var model = loaded.Model;
            var settings = new RlPhaseSettings
            {
                Steps = s.Steps, Minutes = 1e6, GroupSize = s.GroupSize, TasksPerStep = s.TasksPerStep, LearningRate = 1e-4, Seed = s.Seed,
                MaxPositions = model.Config.MaxPositionEmbeddings, Async = asynchronous, Workers = s.Workers, MaxStaleness = s.MaxStaleness,
                RequestsPerBatch = s.RequestsPerBatch,
            };
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var phase = await RlPhase.RunAsync(model, loaded.Tokenizer, WarmStart.Template(loaded.Tokenizer), suites, settings, null, console, name,
                Stopwatch.StartNew(), cancellationToken);
            if (phase.Error is not null) throw phase.Error;
            if (phase.Steps.Count == 0) throw new OperationCanceledException("The benchmark was cancelled.");
            double wait = phase.Steps.Sum(m => m.Extra!["rollout_seconds"]);
            var tail = phase.Steps.Skip(phase.Steps.Count * 2 / 3).ToArray();
            return new AsyncBenchArm(name, torch.get_num_threads(), phase.Seconds, wait, phase.Samples, tail.Average(m => m.RewardMean),
                (int)phase.Steps.Sum(m => m.Extra!["stale_dropped"]), phase.Steps.Average(m => m.Extra!["mean_staleness"]),
                (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds);
        }
        finally
        {
            torch.set_num_threads(before);
        }
    }

    /// <summary>Mean and 99th percentile of the configured tool latency (from the distribution, for the report).</summary>
    private static (double Mean, double P99) LatencyMoments(AsyncBenchSettings s)
    {
        if (s.LatencyMs <= 0) return (0, 0);
        var random = new Random(1);
        var draws = Enumerable.Range(0, 100_000).Select(_ => LongTailSuite.Draw(random, s.LatencyMs, s.LatencyAlpha, s.LatencyCapMs)).Order().ToArray();
        return (draws.Average(), draws[(int)(draws.Length * 0.99)]);
    }
}

/// <summary>
/// A suite whose tools answer after a Pareto-distributed latency (scale <c>xm</c>, tail index <c>alpha</c>, capped), drawn
/// per call from the episode's seed: most calls are quick, a few take seconds, as with real services. The benchmark's
/// long-tailed rollout workload; the tasks and rewards are the inner suite's.
/// </summary>
internal sealed class LongTailSuite(ITaskSuite inner, double scaleMs, double alpha, double capMs) : ITaskSuite
{
    public string Suite => inner.Suite;

    public IReadOnlyList<AgentTask> SampleTraining(Random random, int count) => inner.SampleTraining(random, count);

    public IReadOnlyList<AgentTask> HeldOut(int count) => inner.HeldOut(count);

    public AgentEnvironment CreateEnvironment() => new SlowToolEnvironment(inner.CreateEnvironment(), scaleMs, alpha, capMs);

    public IChatClient CreateExpert() => inner.CreateExpert();

    public static double Draw(Random random, double scaleMs, double alpha, double capMs) =>
        Math.Min(capMs, scaleMs / Math.Pow(1 - random.NextDouble(), 1 / alpha));

    private sealed class SlowToolEnvironment(AgentEnvironment inner, double scaleMs, double alpha, double capMs) : AgentEnvironment
    {
        private readonly Lock _gate = new();
        private Random _random = new(0);
        private IReadOnlyList<AIFunction>? _tools;

        public override IReadOnlyList<AIFunction> Tools => _tools ??= [.. inner.Tools.Select(t => new SlowFunction(t, this))];

        public override ValueTask<IReadOnlyList<ChatMessage>> ResetAsync(AgentTask task, ulong seed, CancellationToken cancellationToken = default)
        {
            _random = new Random(unchecked((int)(seed ^ (seed >> 32))));
            _tools = null;
            return inner.ResetAsync(task, seed, cancellationToken);
        }

        public override ValueTask<EnvironmentStep> StepAsync(AgentAction action, CancellationToken cancellationToken = default) => inner.StepAsync(action, cancellationToken);

        public override ValueTask<EnvironmentStep> TruncateAsync(CancellationToken cancellationToken = default) => inner.TruncateAsync(cancellationToken);

        public override IReadOnlyList<TrajectoryEvent> TakeEvents(int turn) => inner.TakeEvents(turn);

        private TimeSpan NextDelay()
        {
            lock (_gate) return TimeSpan.FromMilliseconds(Draw(_random, scaleMs, alpha, capMs));
        }

        private sealed class SlowFunction(AIFunction function, SlowToolEnvironment owner) : DelegatingAIFunction(function)
        {
            protected override async ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken)
            {
                await Task.Delay(owner.NextDelay(), cancellationToken).ConfigureAwait(false);
                return await base.InvokeCoreAsync(arguments, cancellationToken).ConfigureAwait(false);
            }
        }
    }
}
