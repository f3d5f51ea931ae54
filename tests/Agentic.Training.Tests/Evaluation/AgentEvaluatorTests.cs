using Agentic.Core.Agents;
using Agentic.Training.Evaluation;
using Agentic.Training.Noise;
using Agentic.Training.Tasks;

namespace Agentic.Training.Tests.Evaluation;

public sealed class AgentEvaluatorTests
{
    [Fact]
    public async Task The_task_index_wrapper_sees_each_task_k_times_and_a_shared_noise_seed_replays_the_same_noisy_episode()
    {
        var suite = TaskSuites.Create("tooluse", SuiteScale.Small);
        var loop = new AgentLoop(suite.CreateExpert(), new AgentLoopOptions { MaxTurns = 12 });
        var seen = new List<int>();
        var (report, runs) = await AgentEvaluator.EvaluateAsync(suite, loop, episodes: 4, k: 3, seed: 7,
            (env, task) =>
            {
                lock (seen) seen.Add(task);
                return NoisyEnvironment.ForLevel(env, NoiseLevel.High, 1000 + (ulong)task);
            });

        Assert.Equal([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3], seen);
        Assert.Equal(12, runs.Count);
        Assert.Equal(3, report.K);
        // The scripted expert is deterministic, so with one noise seed per task its k runs meet the same noise events.
        for (int t = 0; t < 4; t++)
        {
            var events = runs.Skip(t * 3).Take(3).Select(r => string.Join('|', r.Events.Where(e => e.Kind.StartsWith("noise:", StringComparison.Ordinal)).Select(e => e.Kind))).ToArray();
            Assert.All(events, e => Assert.Equal(events[0], e));
        }
        Assert.Contains(runs, r => r.Events.Any(e => e.Kind.StartsWith("noise:", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Concurrent_batches_give_the_same_trajectories_in_task_order_as_sequential_ones()
    {
        var suite = TaskSuites.Create("tooluse", SuiteScale.Small);
        var loop = new AgentLoop(suite.CreateExpert(), new AgentLoopOptions { MaxTurns = 12 });

        async Task<(EvaluationReport Report, IReadOnlyList<Trajectory> Runs)> Run(int concurrency)
        {
            // A decoration that counts its calls: the noise of each episode depends on creation order.
            int created = 0;
            return await AgentEvaluator.EvaluateAsync(suite, loop, episodes: 10, k: 2, seed: 3,
                (env, _) => NoisyEnvironment.ForLevel(env, NoiseLevel.High, 500 + (ulong)Interlocked.Increment(ref created)),
                batchSize: 3, maxConcurrency: concurrency);
        }

        var sequential = await Run(1);
        var concurrent = await Run(3);
        static string Key(Trajectory t) => $"{t.Task.Id}|{t.Seed}|{t.Success}|{t.Turns}|{string.Join(',', t.Events.Select(e => e.Kind))}";
        Assert.Equal(sequential.Runs.Select(Key), concurrent.Runs.Select(Key));
        Assert.Equal(sequential.Report, concurrent.Report);
        Assert.Contains(sequential.Runs, r => r.Events.Any(e => e.Kind.StartsWith("noise:", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task Invalid_batch_size_or_concurrency_is_refused()
    {
        var suite = TaskSuites.Create("tooluse", SuiteScale.Small);
        var loop = new AgentLoop(suite.CreateExpert());
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => AgentEvaluator.EvaluateAsync(suite, loop, 2, batchSize: 0));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => AgentEvaluator.EvaluateAsync(suite, loop, 2, maxConcurrency: 0));
    }
}
