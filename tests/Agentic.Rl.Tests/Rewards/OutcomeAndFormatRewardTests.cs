using Agentic.Core.Agents;
using Agentic.Rl.Rewards;

namespace Agentic.Rl.Tests.Rewards;

public sealed class OutcomeRewardTests
{
    [Theory]
    [InlineData(true, 0.0, 1.0)]
    [InlineData(true, -5.0, 1.0)]
    [InlineData(false, 0.4, 0.4)]
    [InlineData(false, 1.7, 1.0)]
    [InlineData(false, -3.0, 0.0)]
    [InlineData(false, double.NaN, 0.0)]
    public void Score_IsOneOnSuccessElseTheClampedEnvironmentReward(bool success, double reward, double expected) =>
        Assert.Equal(expected, new OutcomeReward().Score(Trajectories.Make(reward: reward, info: Trajectories.Success(success))));

    [Fact]
    public void Name_IsOutcome() => Assert.Equal("outcome", new OutcomeReward().Name);
}

public sealed class FormatRewardTests
{
    [Fact]
    public void CleanEpisodeThatEndedDone_ScoresOne() => Assert.Equal(1, new FormatReward().Score(Trajectories.Make()));

    [Theory]
    [InlineData(EpisodeEnd.TurnLimit)]
    [InlineData(EpisodeEnd.TokenBudget)]
    public void EpisodeCutByTheLoop_ScoresZero(EpisodeEnd end) => Assert.Equal(0, new FormatReward().Score(Trajectories.Make(end: end)));

    [Fact]
    public void MalformedOutput_ScoresZero() =>
        Assert.Equal(0, new FormatReward().Score(Trajectories.Make(events: [new TrajectoryEvent(0, "malformed_output", "broken JSON")])));

    [Fact]
    public void OtherEvents_DoNotCount() =>
        Assert.Equal(1, new FormatReward().Score(Trajectories.Make(events: [new TrajectoryEvent(0, "tool_timeout", "search")])));

    [Fact]
    public void EnvironmentFormatVerdict_CountsUnlessDisabled()
    {
        var trajectory = Trajectories.Make(info: new Dictionary<string, double> { ["format_ok"] = 0 });
        Assert.Equal(0, new FormatReward().Score(trajectory));
        Assert.Equal(1, new FormatReward(new FormatRewardOptions { RequireFormatOk = false }).Score(trajectory));
        Assert.Equal(1, new FormatReward().Score(Trajectories.Make(info: new Dictionary<string, double> { ["format_ok"] = 1 })));
    }
}
