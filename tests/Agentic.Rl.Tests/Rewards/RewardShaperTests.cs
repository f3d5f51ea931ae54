using Agentic.Core.Agents;
using Agentic.Rl.Rewards;

namespace Agentic.Rl.Tests.Rewards;

public sealed class RewardShaperTests
{
    internal sealed class ConstantShaper(string name, double score) : RewardShaper(name)
    {
        protected override double ScoreCore(Trajectory trajectory) => score;
    }

    [Fact]
    public void Score_NullTrajectory_Throws() =>
        Assert.Throws<ArgumentNullException>(() => new ConstantShaper("c", 1).Score(null!));

    [Theory]
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    [InlineData(double.NegativeInfinity)]
    public void Score_NonFinite_ThrowsRewardExceptionNamingTheShaper(double bad)
    {
        var ex = Assert.Throws<RewardException>(() => new ConstantShaper("broken", bad).Score(Trajectories.Make()));
        Assert.Equal("broken", ex.ShaperName);
        Assert.Contains("broken", ex.Message, StringComparison.Ordinal);
        Assert.Equal(bad, ex.Score);
    }

    [Fact]
    public void Score_Finite_PassesThrough() => Assert.Equal(-0.5, new ConstantShaper("c", -0.5).Score(Trajectories.Make()));

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    public void Constructor_BlankName_Throws(string name) =>
        Assert.Throws<ArgumentException>(() => new ConstantShaper(name, 0));
}
