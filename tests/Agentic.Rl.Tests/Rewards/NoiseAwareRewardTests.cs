using System.Text.Json.Nodes;
using Agentic.Core.Agents;
using Agentic.Rl.Rewards;
using Microsoft.Extensions.AI;
using static Agentic.Rl.Tests.Rewards.Trajectories;

namespace Agentic.Rl.Tests.Rewards;

public sealed class NoiseAwareRewardTests
{
    private static readonly ChatMessage User = new(ChatRole.User, "Cancel order 42.");
    private static readonly ChatMessage FinalAnswer = new(ChatRole.Assistant, "Order 42 is cancelled.");

    public static TheoryData<object> FailureResults => new()
    {
        NoiseFailure(429),
        NoiseFailure(408),
        "Error: tool 'get_order' timed out after 10 s.",
        """{"error": {"status": 503, "code": "service_unavailable"}}""",
        JsonNode.Parse("""{"error": "unknown order_id"}""")!,
        new Dictionary<string, object?> { ["error"] = "refused" },
    };

    [Theory]
    [MemberData(nameof(FailureResults))]
    public void AnswerAfterAnUnretriedFailure_RemovesTheOutcomeCredit(object failure)
    {
        var trajectory = Make([User, Call("c1", "get_order"), Result("c1", failure), FinalAnswer], reward: 1, info: Success(true));
        Assert.True(NoiseAwareReward.HasUnretriedFailure(trajectory));
        Assert.Equal(-1, new NoiseAwareReward().Score(trajectory));
    }

    [Fact]
    public void AnswerAfterASuccessfulRetry_KeepsTheCredit()
    {
        var trajectory = Make(
            [User, Call("c1", "get_order"), Result("c1", NoiseFailure()), Call("c2", "get_order"), Result("c2", Ok()), FinalAnswer],
            reward: 1, info: Success(true),
            events: [new TrajectoryEvent(0, "noise:tool:Failure", "get_order: status 429")]);
        Assert.False(NoiseAwareReward.HasUnretriedFailure(trajectory));
        Assert.Equal(0, new NoiseAwareReward().Score(trajectory));
    }

    [Fact]
    public void SuccessOfAnotherTool_IsNotARetry()
    {
        var trajectory = Make(
            [User, Call("c1", "get_order"), Result("c1", NoiseFailure()), Call("c2", "cancel_order"), Result("c2", Ok()), FinalAnswer],
            reward: 1, info: Success(true));
        Assert.Equal(-1, new NoiseAwareReward().Score(trajectory));
    }

    [Fact]
    public void FailureAfterASuccess_IsUnretried()
    {
        var trajectory = Make(
            [User, Call("c1", "get_order"), Result("c1", Ok()), Call("c2", "get_order"), Result("c2", NoiseFailure()), FinalAnswer],
            reward: 1, info: Success(true));
        Assert.Equal(-1, new NoiseAwareReward().Score(trajectory));
    }

    [Fact]
    public void DoubledCallInOneTurn_OneSucceeding_CountsAsRetried()
    {
        var turn = new ChatMessage(ChatRole.Assistant,
        [
            new FunctionCallContent("c1", "get_order", new Dictionary<string, object?>()),
            new FunctionCallContent("c2", "get_order", new Dictionary<string, object?>()),
        ]);
        var results = new ChatMessage(ChatRole.Tool, [new FunctionResultContent("c1", Ok()), new FunctionResultContent("c2", NoiseFailure())]);
        Assert.Equal(0, new NoiseAwareReward().Score(Make([User, turn, results, FinalAnswer], reward: 1, info: Success(true))));
    }

    [Fact]
    public void FailureEventWithoutAResultInTheMessages_Counts()
    {
        // The final turn's results are not in the messages (the loop stops at the answer): the events still name the tool.
        var trajectory = Make([User, FinalAnswer], reward: 0.6,
            events: [new TrajectoryEvent(0, "noise:tool:Timeout", "get_order: timed out"), new TrajectoryEvent(0, "noise:tool:MisleadingValue", "search: changed")]);
        Assert.Equal(-0.6, new NoiseAwareReward().Score(trajectory), 12);
        Assert.Equal(-1, new NoiseAwareReward().Score(Make([User, FinalAnswer], events: [new TrajectoryEvent(1, "tool_timeout", "get_order")], info: Success(true))));
        Assert.Equal(-1, new NoiseAwareReward().Score(Make([User, FinalAnswer], events: [new TrajectoryEvent(0, "noise:tool_failure", "get_order: 429")], info: Success(true))));
    }

    [Fact]
    public void NoisyButPresentContent_IsNotAFailure()
    {
        var trajectory = Make([User, Call("c1", "get_order"), Result("c1", Ok()), FinalAnswer], reward: 1, info: Success(true),
            events: [new TrajectoryEvent(0, "noise:tool:IncompleteResult", "get_order: removed status")]);
        Assert.Equal(0, new NoiseAwareReward().Score(trajectory));
    }

    [Fact]
    public void UnknownTool_IsLeftToTheInvalidActionPenalty()
    {
        var trajectory = Make([User, Call("c1", "teleport"), Result("c1", "Error: unknown tool 'teleport'."), FinalAnswer], reward: 1, info: Success(true),
            events: [new TrajectoryEvent(0, "unknown_tool", "teleport")]);
        Assert.Equal(0, new NoiseAwareReward().Score(trajectory));
    }

    [Fact]
    public void ConfiguredPenalty_ReplacesTheOutcomeScore()
    {
        var trajectory = Make([User, Call("c1", "get_order"), Result("c1", NoiseFailure()), FinalAnswer], reward: 0, info: Success(false));
        Assert.Equal(0, new NoiseAwareReward().Score(trajectory));
        Assert.Equal(-0.3, new NoiseAwareReward(new NoiseAwareRewardOptions { Penalty = 0.3 }).Score(trajectory));
    }

    [Fact]
    public void FailedAnswer_HasNoCreditToRemove()
    {
        var trajectory = Make([User, Call("c1", "get_order"), Result("c1", NoiseFailure()), FinalAnswer], info: Success(false));
        Assert.Equal(0, new NoiseAwareReward().Score(trajectory));
    }

    [Fact]
    public void DefaultComposite_CancelsOnlyTheOutcomeCredit()
    {
        var reward = RewardShaping.Default("tooluse");
        var clean = Make([User, Call("c1", "get_order"), Result("c1", Ok()), FinalAnswer], reward: 1, info: Success(true));
        var invented = Make([User, Call("c1", "get_order"), Result("c1", NoiseFailure()), FinalAnswer], reward: 1, info: Success(true));
        Assert.Equal(1.1, reward.Compute(clean).Total, 12);
        var breakdown = reward.Compute(invented);
        Assert.Equal(-1, breakdown.Components["noise_aware"]);
        Assert.Equal(0.1, breakdown.Total, 12);
    }
}
