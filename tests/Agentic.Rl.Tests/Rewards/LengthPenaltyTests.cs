using Agentic.Rl.Rewards;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Extensions.AI;

namespace Agentic.Rl.Tests.Rewards;

[Properties(Replay = "(586035390349330,3245576337)")]
public sealed class LengthPenaltyTests
{
    private static readonly LengthPenalty Penalty = new(new LengthPenaltyOptions { MaxTokens = 100, Cache = 20, Weight = 0.5 });

    [Property]
    public bool Penalty_IsMonotoneNonIncreasingInLength(NonNegativeInt a, NonNegativeInt b)
    {
        int shorter = Math.Min(a.Get, b.Get), longer = Math.Max(a.Get, b.Get);
        return Penalty.Penalty(longer) <= Penalty.Penalty(shorter);
    }

    [Property]
    public bool Penalty_IsZeroUpToTheThresholdAndBoundedByTheWeight(NonNegativeInt length)
    {
        double p = Penalty.Penalty(length.Get);
        return (length.Get > 80 || p == 0) && p >= -0.5 && p <= 0 && (length.Get < 100 || p == -0.5);
    }

    [Property]
    public Property Penalty_IsMonotoneForAnyValidOptions()
    {
        var options = from max in Gen.Choose(1, 500)
                      from cache in Gen.Choose(0, max)
                      from weight in Gen.Choose(0, 40).Select(w => w / 10.0)
                      from x in Gen.Choose(0, 700)
                      from y in Gen.Choose(0, 700)
                      select (max, cache, weight, Math.Min(x, y), Math.Max(x, y));
        return Prop.ForAll(options.ToArbitrary(), t =>
        {
            var shaper = new LengthPenalty(new LengthPenaltyOptions { MaxTokens = t.max, Cache = t.cache, Weight = t.weight });
            return shaper.Penalty(t.Item5) <= shaper.Penalty(t.Item4) && shaper.Penalty(t.Item4) <= 0 && shaper.Penalty(t.Item5) >= -t.weight;
        });
    }

    [Fact]
    public void The_ramp_ends_at_exactly_minus_the_weight_so_longer_is_never_penalised_less()
    {
        // Found by the property above: 1.6 x 41 / 41 rounds to -1.6000000000000003, below the cap beyond the maximum.
        var shaper = new LengthPenalty(new LengthPenaltyOptions { MaxTokens = 344, Cache = 41, Weight = 1.6 });
        Assert.Equal(-1.6, shaper.Penalty(344));
        Assert.True(shaper.Penalty(420) <= shaper.Penalty(344));
    }

    [Theory]
    [InlineData(0, 0.0)]
    [InlineData(80, 0.0)]
    [InlineData(90, -0.25)]
    [InlineData(100, -0.5)]
    [InlineData(1000, -0.5)]
    public void Penalty_FollowsDapoSoftOverlongShape(int length, double expected) => Assert.Equal(expected, Penalty.Penalty(length), 12);

    [Fact]
    public void Score_CountsPolicyTokensOfTheLossMask()
    {
        bool[] mask = [.. Enumerable.Repeat(false, 500), .. Enumerable.Repeat(true, 90)];
        var trajectory = Trajectories.Make(lossMask: mask);
        Assert.Equal(90, Penalty.PolicyLength(trajectory));
        Assert.Equal(-0.25, Penalty.Score(trajectory), 12);
    }

    [Fact]
    public void Score_WithoutTokenIds_UsesAssistantTextLength()
    {
        var messages = new List<ChatMessage>
        {
            new(ChatRole.User, new string('u', 1000)),
            new(ChatRole.Assistant, new string('a', 60)),
            new(ChatRole.Tool, new string('t', 1000)),
            new(ChatRole.Assistant, new string('b', 30)),
        };
        var trajectory = Trajectories.Make(messages);
        Assert.Equal(90, Penalty.PolicyLength(trajectory));
        Assert.Equal(-0.25, Penalty.Score(trajectory), 12);
        var perFour = new LengthPenalty(new LengthPenaltyOptions { MaxTokens = 100, Cache = 20, CharactersPerToken = 4 });
        Assert.Equal(0, perFour.Score(trajectory));
    }

    [Fact]
    public void CacheLargerThanMax_Throws() =>
        Assert.Throws<System.ComponentModel.DataAnnotations.ValidationException>(() => new LengthPenalty(new LengthPenaltyOptions { MaxTokens = 10, Cache = 20 }));
}
