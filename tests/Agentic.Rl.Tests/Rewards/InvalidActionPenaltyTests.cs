using Agentic.Core.Agents;
using Agentic.Rl.Rewards;

namespace Agentic.Rl.Tests.Rewards;

public sealed class InvalidActionPenaltyTests
{
    private static TrajectoryEvent E(string kind) => new(0, kind, "detail");

    [Fact]
    public void NoInvalidActions_ScoresZero() =>
        Assert.Equal(0, new InvalidActionPenalty().Score(Trajectories.Make(events: [E("tool_timeout"), E("noise:tool:Failure")])));

    [Fact]
    public void EachMalformedOutputOrUnknownTool_CostsPerEvent() =>
        Assert.Equal(-0.5, new InvalidActionPenalty().Score(Trajectories.Make(events: [E("malformed_output"), E("unknown_tool"), E("tool_error")])));

    [Fact]
    public void Penalty_IsCapped()
    {
        var events = Enumerable.Repeat(E("malformed_output"), 10).ToArray();
        Assert.Equal(-1, new InvalidActionPenalty().Score(Trajectories.Make(events: events)));
        Assert.Equal(-0.3, new InvalidActionPenalty(new InvalidActionPenaltyOptions { PerEvent = 0.1, MaxPenalty = 0.3 }).Score(Trajectories.Make(events: events)), 12);
    }

    [Fact]
    public void ToolErrors_CountOnlyWhenIncluded()
    {
        var trajectory = Trajectories.Make(events: [E("tool_error"), E("tool_error")]);
        Assert.Equal(0, new InvalidActionPenalty().Score(trajectory));
        Assert.Equal(-0.5, new InvalidActionPenalty(new InvalidActionPenaltyOptions { IncludeToolErrors = true }).Score(trajectory));
    }

    [Fact]
    public void NegativeAmount_Throws() =>
        Assert.Throws<System.ComponentModel.DataAnnotations.ValidationException>(() => new InvalidActionPenalty(new InvalidActionPenaltyOptions { PerEvent = -1 }));
}
