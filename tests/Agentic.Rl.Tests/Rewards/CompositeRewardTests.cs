using Agentic.Rl.Rewards;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static Agentic.Rl.Tests.Rewards.RewardShaperTests;

namespace Agentic.Rl.Tests.Rewards;

[Properties(Replay = "(2487333028153710,1691166923)")]
public sealed class CompositeRewardTests
{
    public static class Generators
    {
        public static Arbitrary<(double Weight, double Score)[]> Terms()
        {
            Gen<double> value = Gen.Choose(-1000, 1000).Select(i => i / 100.0);
            return Gen.Zip(value, value).ListOf().Select(l => l.ToArray()).ToArbitrary();
        }
    }

    [Property(Arbitrary = [typeof(Generators)])]
    public bool Total_IsTheSumOfTheWeightedComponents((double Weight, double Score)[] terms)
    {
        var composite = new CompositeReward(terms.Select((t, i) => new RewardTerm(new ConstantShaper($"t{i}", t.Score), t.Weight)));
        var breakdown = composite.Compute(Trajectories.Make());
        bool componentsWeighted = terms.Select((t, i) => breakdown.Components[$"t{i}"] == t.Weight * t.Score).All(x => x);
        double sum = terms.Sum(t => t.Weight * t.Score);
        return componentsWeighted && breakdown.Components.Count == terms.Length && Math.Abs(breakdown.Total - sum) < 1e-9;
    }

    [Property(Arbitrary = [typeof(Generators)])]
    public bool Total_IsClampedIntoTheBounds((double Weight, double Score)[] terms)
    {
        var composite = new CompositeReward(
            terms.Select((t, i) => new RewardTerm(new ConstantShaper($"t{i}", t.Score), t.Weight)),
            new CompositeRewardOptions { MinTotal = -1, MaxTotal = 2 });
        double sum = terms.Sum(t => t.Weight * t.Score);
        return Math.Abs(composite.Compute(Trajectories.Make()).Total - Math.Clamp(sum, -1, 2)) < 1e-9;
    }

    [Fact]
    public void Compute_ClampsButKeepsTheComponents()
    {
        var composite = new CompositeReward([new(new ConstantShaper("a", 1), 3), new(new ConstantShaper("b", -1), 0.5)],
            new CompositeRewardOptions { MaxTotal = 1 });
        var breakdown = composite.Compute(Trajectories.Make());
        Assert.Equal(1, breakdown.Total);
        Assert.Equal(3, breakdown.Components["a"]);
        Assert.Equal(-0.5, breakdown.Components["b"]);
    }

    [Fact]
    public void Compute_NonFiniteScore_ThrowsRewardExceptionNamingTheShaper()
    {
        var composite = new CompositeReward((new ConstantShaper("fine", 1), 1), (new ConstantShaper("nan", double.NaN), 0.1));
        Assert.Equal("nan", Assert.Throws<RewardException>(() => composite.Compute(Trajectories.Make())).ShaperName);
    }

    [Fact]
    public void Compute_OverflowingWeightedTerm_ThrowsRewardException()
    {
        var composite = new CompositeReward((new ConstantShaper("huge", double.MaxValue), 10));
        Assert.Equal("huge", Assert.Throws<RewardException>(() => composite.Compute(Trajectories.Make())).ShaperName);
    }

    [Fact]
    public void Constructor_RejectsDuplicateNamesNonFiniteWeightsAndCrossedBounds()
    {
        Assert.Throws<ArgumentException>(() => new CompositeReward((new ConstantShaper("a", 1), 1), (new ConstantShaper("a", 2), 1)));
        Assert.Throws<ArgumentException>(() => new CompositeReward((new ConstantShaper("a", 1), double.NaN)));
        Assert.Throws<ArgumentException>(() => new CompositeReward([], new CompositeRewardOptions { MinTotal = 1, MaxTotal = 0 }));
        Assert.Throws<ArgumentNullException>(() => new CompositeReward((IEnumerable<RewardTerm>)null!));
    }

    [Fact]
    public void Composite_NestsAsAShaper()
    {
        var inner = new CompositeReward([new(new ConstantShaper("a", 1), 2)], new CompositeRewardOptions { Name = "inner" });
        var outer = new CompositeReward((inner, 0.5), (new ConstantShaper("b", 1), 1));
        var breakdown = outer.Compute(Trajectories.Make());
        Assert.Equal(1, breakdown.Components["inner"]);
        Assert.Equal(2, breakdown.Total);
    }

    [Fact]
    public void Empty_ScoresZero() => Assert.Equal(0, new CompositeReward().Compute(Trajectories.Make()).Total);
}
