using Agentic.Cli.Jobs;
using Agentic.Training.Noise;
using Agentic.Training.Tasks;

namespace Agentic.Cli.Tests;

/// <summary>The warm start's scripted-expert demonstrations: how many are played under noise.</summary>
public sealed class DemonstrationsTests
{
    private static int NoisyEpisodes(IReadOnlyList<Agentic.Core.Agents.Trajectory> runs) =>
        runs.Count(r => r.Events.Any(e => e.Kind.StartsWith("noise:tool:", StringComparison.Ordinal)));

    [Fact]
    public async Task A_clean_warm_start_has_no_noise_and_a_fully_noisy_one_has_noise_in_most_episodes()
    {
        var suite = TaskSuites.Create("tooluse", SuiteScale.Small);
        var clean = await Demonstrations.CollectAsync(suite, 40, noisyFraction: 0, NoiseLevel.High, seed: 3, CancellationToken.None);
        var noisy = await Demonstrations.CollectAsync(suite, 40, noisyFraction: 1, NoiseLevel.High, seed: 3, CancellationToken.None);

        Assert.NotEmpty(clean);
        Assert.Equal(0, NoisyEpisodes(clean));
        // High tool noise hits most multi-call episodes; the expert recovers, so they are kept as demonstrations.
        Assert.InRange(NoisyEpisodes(noisy), noisy.Count / 2, noisy.Count);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public async Task A_noisy_share_outside_0_to_1_is_refused(double fraction)
    {
        var suite = TaskSuites.Create("tooluse", SuiteScale.Small);
        var error = await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() =>
            Demonstrations.CollectAsync(suite, 4, fraction, NoiseLevel.Medium, seed: 1, CancellationToken.None));
        Assert.Equal("noisyFraction", error.ParamName);
    }

    [Fact]
    public async Task With_self_verification_a_quarter_of_the_answered_episodes_also_teach_alternating_verdicts()
    {
        var longcontext = await Demonstrations.CollectAsync(TaskSuites.Create("longcontext", SuiteScale.Small), 200, 0, NoiseLevel.None, seed: 5, CancellationToken.None);
        var tooluse = await Demonstrations.CollectAsync(TaskSuites.Create("tooluse", SuiteScale.Small), 20, 0, NoiseLevel.None, seed: 5, CancellationToken.None);

        var demos = WarmStart.VerificationDemonstrations([.. longcontext, .. tooluse], seed: 7);

        // Tooluse episodes end in a reply, not an <answer>: only longcontext's become verification demonstrations.
        Assert.All(demos, d => Assert.Equal("longcontext:verify", d.Suite));
        Assert.InRange(demos.Count, 30, 70);
        var verdicts = demos.Select(d => d.Messages[^1].Text).ToArray();
        Assert.Equal(Enumerable.Range(0, demos.Count).Select(i => i % 2 == 0 ? "yes" : "no"), verdicts);
        Assert.All(demos, d => Assert.StartsWith("Check: <problem>", d.Messages[0].Text, StringComparison.Ordinal));
        Assert.Equal(demos.Select(d => d.Messages[0].Text), WarmStart.VerificationDemonstrations([.. longcontext, .. tooluse], seed: 7).Select(d => d.Messages[0].Text));
    }
}
