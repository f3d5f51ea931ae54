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
}
