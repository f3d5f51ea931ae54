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
    /// <returns>The report and every trajectory.</returns>
    public static Task<(EvaluationReport Report, IReadOnlyList<Trajectory> Trajectories)> EvaluateAsync(
        ITaskSuite suite, AgentLoop loop, int episodes, int k = 1, ulong seed = 0,
        Func<AgentEnvironment, AgentEnvironment>? wrapEnvironment = null, int batchSize = 16, CancellationToken cancellationToken = default) =>
        EvaluateAsync(suite, loop, episodes, k, seed, wrapEnvironment is null ? null : (environment, _) => wrapEnvironment(environment), batchSize, cancellationToken);

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
    /// <returns>The report and every trajectory.</returns>
    public static async Task<(EvaluationReport Report, IReadOnlyList<Trajectory> Trajectories)> EvaluateAsync(
        ITaskSuite suite, AgentLoop loop, int episodes, int k, ulong seed,
        Func<AgentEnvironment, int, AgentEnvironment>? wrapEnvironment, int batchSize = 16, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(suite);
        ArgumentNullException.ThrowIfNull(loop);
        ArgumentOutOfRangeException.ThrowIfLessThan(episodes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var tasks = suite.HeldOut(episodes);
        var runs = tasks.SelectMany((task, t) => Enumerable.Range(0, k).Select(r => (Task: task, Index: t, Seed: unchecked(seed + (ulong)(t * k + r))))).ToArray();
        var trajectories = new List<Trajectory>(runs.Length);
        foreach (var chunk in runs.Chunk(batchSize))
        {
            var batch = chunk.Select(r =>
            {
                var environment = suite.CreateEnvironment();
                return new AgentEpisode(wrapEnvironment?.Invoke(environment, r.Index) ?? environment, r.Task, r.Seed);
            }).ToArray();
            trajectories.AddRange(await loop.RunAsync(batch, cancellationToken).ConfigureAwait(false));
        }

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
