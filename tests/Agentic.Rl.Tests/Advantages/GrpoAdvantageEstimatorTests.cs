using Agentic.Rl.Advantages;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Agentic.Rl.Tests.Advantages;

[Properties(Replay = "(979450072897434,2213075845)")]
public class GrpoAdvantageEstimatorTests
{
    private static GroupedReward[] Group(int[] rewards, bool[]? noisy = null) =>
        [.. rewards.Select((r, i) => new GroupedReward(r / 4.0, noisy is null ? null : noisy[i % noisy.Length] ? "noisy" : "clean"))];

    [Property(MaxTest = 300)]
    public bool Advantages_of_every_subgroup_sum_to_zero(NonEmptyArray<int> rewards, bool[] noisy, bool normalize)
    {
        var group = Group([.. rewards.Get.Select(r => r % 9)], noisy.Length == 0 ? null : noisy);
        var advantages = new GrpoAdvantageEstimator(new GrpoAdvantageOptions { NormalizeByStandardDeviation = normalize }).Estimate(group);
        return group.Select((g, i) => (g.Subgroup, A: advantages[i])).GroupBy(x => x.Subgroup)
            .All(sub => Math.Abs(sub.Sum(x => x.A)) < 1e-9 * Math.Max(1, sub.Count()) + 1e-9);
    }

    [Property(MaxTest = 200)]
    public bool Constant_rewards_give_zero_advantage(PositiveInt size, NormalFloat reward, bool normalize)
    {
        var group = Enumerable.Repeat(new GroupedReward(reward.Get), size.Get % 16 + 1).ToArray();
        var advantages = new GrpoAdvantageEstimator(new GrpoAdvantageOptions { NormalizeByStandardDeviation = normalize }).Estimate(group);
        return advantages.All(a => a == 0) && AdvantageEstimator.IsConstant(group);
    }

    [Property(MaxTest = 200)]
    public bool Normalized_advantages_have_unit_spread_and_keep_the_reward_order(NonEmptyArray<int> rewards)
    {
        var group = Group([.. rewards.Get.Select(r => r % 7)]);
        var advantages = new GrpoAdvantageEstimator().Estimate(group);
        if (AdvantageEstimator.IsConstant(group)) return advantages.All(a => a == 0);
        double std = Math.Sqrt(advantages.Sum(a => a * a) / advantages.Length);
        bool ordered = Enumerable.Range(0, group.Length).All(i => Enumerable.Range(0, group.Length)
            .All(j => group[i].Reward <= group[j].Reward || advantages[i] > advantages[j]));
        return Math.Abs(std - 1) < 1e-4 && ordered;
    }

    [Fact]
    public void Clean_and_noisy_subgroups_are_compared_only_within_themselves()
    {
        // Clean rollouts all succeed and noisy ones all fail: within each subgroup nothing differs, so no signal.
        GroupedReward[] group = [new(1, "clean"), new(1, "clean"), new(0, "noisy"), new(0, "noisy")];
        Assert.All(new GrpoAdvantageEstimator().Estimate(group), a => Assert.Equal(0, a));

        // Pooled, the same rewards give +1 / -1.
        var pooled = new GrpoAdvantageEstimator().Estimate([.. group.Select(g => g with { Subgroup = null })]);
        Assert.Equal([1, 1, -1, -1], pooled.Select(a => Math.Round(a, 4)));
    }

    [Property(MaxTest = 300)]
    public bool Positive_only_advantages_are_the_positive_part_of_the_group_relative_ones(NonEmptyArray<int> rewards, bool[] noisy, bool normalize)
    {
        var group = Group([.. rewards.Get.Select(r => r % 9)], noisy.Length == 0 ? null : noisy);
        var relative = new GrpoAdvantageEstimator(new GrpoAdvantageOptions { NormalizeByStandardDeviation = normalize }).Estimate(group);
        var positive = new GrpoAdvantageEstimator(new GrpoAdvantageOptions { NormalizeByStandardDeviation = normalize, PositiveOnly = true }).Estimate(group);
        return positive.Zip(relative).All(p => p.First == Math.Max(0, p.Second));
    }

    [Fact]
    public void Positive_only_keeps_the_rare_success_and_zeroes_the_failures()
    {
        // One success in four: GRPO pushes it up and the three failures down; self-imitation only pushes it up.
        var advantages = new GrpoAdvantageEstimator(new GrpoAdvantageOptions { PositiveOnly = true })
            .Estimate([new(0, "noisy"), new(1, "noisy"), new(0, "noisy"), new(0, "noisy")]);
        Assert.Equal([0, 1.732, 0, 0], advantages.Select(a => Math.Round(a, 3)));
    }

    [Fact]
    public void Without_std_normalisation_advantages_are_mean_centred_rewards()
    {
        var advantages = new GrpoAdvantageEstimator(new GrpoAdvantageOptions { NormalizeByStandardDeviation = false })
            .Estimate([new(1), new(0), new(0), new(0)]);
        Assert.Equal([0.75, -0.25, -0.25, -0.25], advantages);
    }

    [Fact]
    public void Non_finite_rewards_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => new GrpoAdvantageEstimator().Estimate([new(double.NaN), new(1)]));
    }
}
