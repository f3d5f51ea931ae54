using Agentic.Core.Agents;

namespace Agentic.Training.Evaluation;

/// <summary>
/// Runs a policy on a suite's held-out tasks, k times each with different episode seeds, and summarises success
/// (Avg@k with a Wilson interval, Pass@k, Pass^k), turns, tool errors and malformed outputs.
/// </summary>
public static class AgentEvaluator
{
    /// <summary>Evaluates <paramref name="loop"/> on the first <paramref name="episodes"/> held-out tasks of <paramref name="suite"/>.</summary>
    /// <param name="suite">The suite.</param>
    /// <param name="loop">The agent loop wrapping the policy.</param>
    /// <param name="episodes">Number of distinct held-out tasks.</param>
    /// <param name="k">Runs per task.</param>
    /// <param name="seed">Base of the episode seeds.</param>
    /// <param name="wrapEnvironment">Optional decoration of each environment (for example noise).</param>
    /// <param name="batchSize">Episodes per loop call (one batched generation per turn for local policies).</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <param name="maxConcurrency">
    /// Loop calls (batches) run at once; above 1 the loop's policy must accept concurrent calls (an ONNX Runtime session
    /// does, the TorchSharp generator does not). The trajectories come back in task order either way.
    /// </param>
    /// <returns>The report and every trajectory.</returns>
    public static Task<(EvaluationReport Report, IReadOnlyList<Trajectory> Trajectories)> EvaluateAsync(
        ITaskSuite suite, AgentLoop loop, int episodes, int k = 1, ulong seed = 0,
        Func<AgentEnvironment, AgentEnvironment>? wrapEnvironment = null, int batchSize = 16, CancellationToken cancellationToken = default, int maxConcurrency = 1) =>
        EvaluateAsync(suite, loop, episodes, k, seed, wrapEnvironment is null ? null : (environment, _) => wrapEnvironment(environment), batchSize, cancellationToken, maxConcurrency);

    /// <summary>
    /// Evaluates <paramref name="loop"/> on the first <paramref name="episodes"/> held-out tasks of <paramref name="suite"/>,
    /// decorating each environment with the index of its task, so that the k runs of a task can share a decoration (for
    /// example one noise seed: pass@k then asks whether the policy solves that noisy episode in k tries, not whether one of
    /// k different noise draws was benign).
    /// </summary>
    /// <param name="suite">The suite.</param>
    /// <param name="loop">The agent loop wrapping the policy.</param>
    /// <param name="episodes">Number of distinct held-out tasks.</param>
    /// <param name="k">Runs per task.</param>
    /// <param name="seed">Base of the episode seeds.</param>
    /// <param name="wrapEnvironment">Decoration of each environment, given the task index (0 to episodes - 1).</param>
    /// <param name="batchSize">Episodes per loop call (one batched generation per turn for local policies).</param>
    /// <param name="cancellationToken">Cancels the run.</param>
    /// <param name="maxConcurrency">
    /// Loop calls (batches) run at once; above 1 the loop's policy must accept concurrent calls (an ONNX Runtime session
    /// does, the TorchSharp generator does not). The trajectories come back in task order either way.
    /// </param>
    /// <returns>The report and every trajectory.</returns>
    public static async Task<(EvaluationReport Report, IReadOnlyList<Trajectory> Trajectories)> EvaluateAsync(
        ITaskSuite suite, AgentLoop loop, int episodes, int k, ulong seed,
        Func<AgentEnvironment, int, AgentEnvironment>? wrapEnvironment, int batchSize = 16, CancellationToken cancellationToken = default, int maxConcurrency = 1)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(loop);
        ArgumentOutOfRangeException.ThrowIfLessThan(episodes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(batchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxConcurrency, 1);
        var tasks = suite.HeldOut(episodes);
        var runs = tasks.SelectMany((task, t) => Enumerable.Range(0, k).Select(r => (Task: task, Index: t, Seed: unchecked(seed + (ulong)(t * k + r))))).ToArray();
        // Environments are created (and decorated) in task order, one batch at a time as a slot frees, so a decoration
        // that counts its calls sees the same order at any concurrency, and no more environments exist than run.
        var chunks = runs.Chunk(batchSize).ToArray();
        var results = new IReadOnlyList<Trajectory>[chunks.Length];
        using var slots = new SemaphoreSlim(maxConcurrency);
        var running = new List<Task>(chunks.Length);
        try
        {
            for (int i = 0; i < chunks.Length; i++)
            {
                await slots.WaitAsync(cancellationToken).ConfigureAwait(false);
                if (running.Exists(t => t.IsFaulted || t.IsCanceled)) break; // the failure surfaces below
                var batch = chunks[i].Select(r =>
                {
                    var environment = suite.CreateEnvironment();
                    return new AgentEpisode(wrapEnvironment?.Invoke(environment, r.Index) ?? environment, r.Task, r.Seed);
                }).ToArray();
                int index = i;
                running.Add(maxConcurrency == 1 ? RunBatch() : Task.Run(RunBatch, cancellationToken));

                async Task RunBatch()
                {
                    try
                    {
                        results[index] = await loop.RunAsync(batch, cancellationToken).ConfigureAwait(false);
                    }
                    finally
                    {
                        slots.Release();
                    }
                }
            }
        }
        finally
        {
            // Every started batch finishes (or fails) before the semaphore is disposed; the first failure is rethrown.
            await Task.WhenAll(running).ConfigureAwait(false);
        }
        var trajectories = results.SelectMany(r => r).ToList();

        int n = trajectories.Count;
        double successes = trajectories.Count(t => t.Success);
        var (low, high) = EvaluationReport.WilsonInterval(successes, n);
        var perTask = runs.Zip(trajectories).GroupBy(x => x.First.Index).Select(g => g.Select(x => x.Second.Success).ToArray()).ToArray();
        var report = new EvaluationReport(
            suite.Suite, tasks.Count, k, successes / n, low, high,
            PassAtK: perTask.Count(s => s.Any(x => x)) / (double)perTask.Length,
            PassHatK: perTask.Count(s => s.All(x => x)) / (double)perTask.Length,
            AverageTurns: trajectories.Average(t => t.Turns),
            ToolErrors: trajectories.Average(t => t.Count("tool_error") + t.Count("unknown_tool") + t.Count("tool_timeout")),
            MalformedOutputs: trajectories.Average(t => t.Count("malformed_output")),
            NoiseEvents: trajectories.Average(t => t.Events.Count(e => e.Kind.StartsWith("noise:", StringComparison.Ordinal))));
        return (report, trajectories);
    }
}
