using Agentic.Core.Agents;
using Agentic.Core.Randomness;
using Agentic.Training.Noise;
using Agentic.Training.Tasks.ToolUse;

namespace Agentic.Training.Tests.Noise;

public class NoisyEnvironmentTests
{
    [Fact]
    public async Task Every_injection_is_recorded_in_the_trajectory_and_rate_zero_changes_nothing()
    {
        var suite = new ToolUseSuite(new ToolUseSuiteOptions { MinDifficulty = 3 });
        var tasks = suite.SampleTraining(new DeterministicRandom(9), 20);
        var loop = new AgentLoop(new ToolUseExpert(), new AgentLoopOptions { MaxTurns = 10 });

        var injected = 0;
        var noisy = await loop.RunAsync(tasks.Select((t, i) =>
        {
            var options = ToolNoiseOptions.ForLevel(NoiseLevel.High, (ulong)i);
            options.InjectionRate = 1;
            options.OnNoiseInjected = _ => { Interlocked.Increment(ref injected); return ValueTask.CompletedTask; };
            return new AgentEpisode(new NoisyEnvironment(suite.CreateEnvironment(), options), t, (ulong)i);
        }).ToArray());
        int recorded = noisy.Sum(t => t.Events.Count(e => e.Kind.StartsWith("noise:tool:", StringComparison.Ordinal)));
        Assert.True(recorded > 0);
        Assert.Equal(injected, recorded);

        var quiet = await loop.RunAsync(tasks.Select((t, i) =>
        {
            var options = ToolNoiseOptions.ForLevel(NoiseLevel.High, (ulong)i);
            options.InjectionRate = 0;
            return new AgentEpisode(new NoisyEnvironment(suite.CreateEnvironment(), options), t, (ulong)i);
        }).ToArray());
        Assert.All(quiet, t => Assert.True(t.Success));
        Assert.All(quiet, t => Assert.DoesNotContain(t.Events, e => e.Kind.StartsWith("noise:", StringComparison.Ordinal)));
    }
}
