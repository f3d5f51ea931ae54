using Agentic.Core.Agents;
using Agentic.Core.Randomness;
using Agentic.Training.Noise;
using Agentic.Training.Tasks;
using Agentic.Training.Tasks.LongContext;
using Microsoft.Extensions.AI;

namespace Agentic.Training.Tests.Tasks.LongContext;

/// <summary>User noise reaches the reading suite through its simulated user, and the scripted expert reads through it.</summary>
public class LongContextNoiseTests
{
    private static string Transcript(Trajectory t) =>
        $"{t.Task.Instruction} [{string.Join(", ", t.Events.Select(e => e.Kind + " " + e.Detail))}]: " + string.Join(" | ", t.Messages.Skip(1).Select(m => m.Text));

    [Theory]
    [InlineData(SuiteScale.Standard)]
    [InlineData(SuiteScale.Small)]
    public async Task The_expert_solves_at_least_95_percent_of_200_tasks_under_high_user_noise_and_every_kind_is_injected(SuiteScale scale)
    {
        const int count = 200;
        var suite = TaskSuites.Create(LongContextSuite.Name, scale);
        AgentTask[] tasks = [.. suite.HeldOut(count / 2), .. suite.SampleTraining(new DeterministicRandom(33), count / 2)];
        var environments = tasks.Select((_, i) => NoisyEnvironment.ForLevel(suite.CreateEnvironment(), NoiseLevel.High, 7000 + (ulong)i)).ToArray();

        var trajectories = await new AgentLoop(suite.CreateExpert(), new AgentLoopOptions { MaxTurns = 16 })
            .RunAsync(tasks.Select((t, i) => new AgentEpisode(environments[i], t, (ulong)i)).ToArray());

        var failed = trajectories.Where(t => !t.Success).ToArray();
        Assert.True(failed.Length <= count * 5 / 100, $"{failed.Length} of {count} failed:\n{string.Join("\n", failed.Select(Transcript))}");
        Assert.All(environments, e => Assert.True(e.HasUserNoise && !e.HasToolNoise));
        var kinds = trajectories.SelectMany(t => t.Events).Where(e => e.Kind.StartsWith("noise:user:", StringComparison.Ordinal))
            .GroupBy(e => e.Kind["noise:user:".Length..]).ToDictionary(g => g.Key, g => g.Count());
        Assert.All(Enum.GetNames<UserNoiseKind>(), kind => Assert.True(kinds.GetValueOrDefault(kind) > 0, $"no {kind} injected: {string.Join(", ", kinds)}"));
        // The noise matters: under it the expert reads more often to the end than on the clean tasks.
        Assert.True(trajectories.Count(t => t.Messages.Any(m => m.Role == ChatRole.User && (m.Text.Contains("sorry, I mean", StringComparison.Ordinal) || m.Text.Contains("that one", StringComparison.Ordinal)))) > 0);
    }
}
