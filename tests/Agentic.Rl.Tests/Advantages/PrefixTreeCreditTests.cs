using Agentic.Rl.Advantages;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;

namespace Agentic.Rl.Tests.Advantages;

[Properties(Replay = "(962886542018541,2835079727)")]
public class PrefixTreeCreditTests
{
    /// <summary>
    /// A group of distinct sequences over a two-letter alphabet that share their first token (as rollouts of one task
    /// share their prompt): the body is drawn from the seed, and a last token unique to each rollout keeps them distinct.
    /// </summary>
    private static int[][] Sequences(int count, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, count).Select(i => (int[])[0, .. Enumerable.Range(0, random.Next(0, 6)).Select(_ => 1 + random.Next(2)), 100 + i])];
    }

    private static GroupedReward[] Rewards(int count, int seed, bool subgroups)
    {
        var random = new Random(seed + 1);
        return [.. Enumerable.Range(0, count).Select(i => new GroupedReward(random.Next(4) / 3.0, subgroups ? (i % 2 == 0 ? "clean" : "noisy") : null))];
    }

    [Property(MaxTest = 300)]
    public bool A_rollouts_token_advantages_add_up_to_its_episode_advantage(PositiveInt size, int seed, bool normalize, bool subgroups)
    {
        int count = size.Get % 10 + 1;
        var sequences = Sequences(count, seed);
        var rewards = Rewards(count, seed, subgroups);
        var episode = new GrpoAdvantageEstimator(new GrpoAdvantageOptions { NormalizeByStandardDeviation = normalize }).Estimate(rewards);
        var tokens = new PrefixTreeCredit().Estimate(sequences, rewards, episode);
        return Enumerable.Range(0, count).All(i => tokens[i].Length == sequences[i].Length && tokens[i][0] == 0
            && Math.Abs(tokens[i].Sum(a => (double)a) - episode[i]) < 1e-4 * Math.Max(1, Math.Abs(episode[i])));
    }

    [Property(MaxTest = 300)]
    public bool Tokens_on_a_path_every_rollout_of_the_subgroup_shares_get_no_credit(PositiveInt size, int seed, PositiveInt sharedLength)
    {
        int count = size.Get % 8 + 2, shared = sharedLength.Get % 6;
        var random = new Random(seed);
        int[] common = [.. Enumerable.Range(0, shared).Select(_ => random.Next(3))];
        var sequences = Sequences(count, seed).Select(s => (int[])[.. common, .. s]).ToArray();
        var rewards = Rewards(count, seed, subgroups: false);
        var tokens = new PrefixTreeCredit().Estimate(sequences, rewards, new GrpoAdvantageEstimator().Estimate(rewards));
        // Tokens 1..shared (the common path and the first token every sequence starts its own part with) predict a
        // token that every rollout has.
        return tokens.All(t => t.Take(shared + 1).All(a => a == 0));
    }

    [Property(MaxTest = 200)]
    public bool Equal_rewards_give_no_credit_anywhere(PositiveInt size, int seed, NormalFloat reward)
    {
        int count = size.Get % 8 + 1;
        var rewards = Enumerable.Repeat(new GroupedReward(reward.Get), count).ToArray();
        var tokens = new PrefixTreeCredit().Estimate(Sequences(count, seed), rewards, new GrpoAdvantageEstimator().Estimate(rewards));
        return tokens.All(t => t.All(a => a == 0));
    }

    [Fact]
    public void Credit_lands_where_the_rollouts_branch()
    {
        // Two rollouts agree on "1 2" and part at the third token; the third goes its own way at the second.
        int[][] sequences = [[0, 1, 2, 3], [0, 1, 2, 4], [0, 1, 5, 6]];
        GroupedReward[] rewards = [new(1), new(0), new(0)];
        var drGrpo = new GrpoAdvantageEstimator(new GrpoAdvantageOptions { NormalizeByStandardDeviation = false });
        var tokens = new PrefixTreeCredit().Estimate(sequences, rewards, drGrpo.Estimate(rewards));

        // value(prefix): all three 1/3; "0 1 2" 1/2; then each alone.
        Assert.Equal([0f, 0f, 1f / 6, 0.5f], tokens[0], Tolerance);
        Assert.Equal([0f, 0f, 1f / 6, -0.5f], tokens[1], Tolerance);
        Assert.Equal([0f, 0f, -1f / 3, 0f], tokens[2], Tolerance);
    }

    [Fact]
    public void Scale_follows_the_episode_estimator()
    {
        int[][] sequences = [[0, 1], [0, 2]];
        GroupedReward[] rewards = [new(1), new(0)];
        // GRPO: (1 - 0.5) / std 0.5 = 1 per rollout; the whole of it on the token where they part.
        var tokens = new PrefixTreeCredit().Estimate(sequences, rewards, new GrpoAdvantageEstimator().Estimate(rewards));
        Assert.Equal(1f, tokens[0][1], 1e-4f);
        Assert.Equal(-1f, tokens[1][1], 1e-4f);
    }

    [Fact]
    public void Subgroups_are_separate_trees()
    {
        // Identical clean and noisy paths are not pooled: the clean pair and the noisy pair each have their own mean.
        int[][] sequences = [[0, 1], [0, 2], [0, 1], [0, 2]];
        GroupedReward[] rewards = [new(1, "clean"), new(0, "clean"), new(0, "noisy"), new(1, "noisy")];
        var episode = new GrpoAdvantageEstimator().Estimate(rewards);
        var tokens = new PrefixTreeCredit().Estimate(sequences, rewards, episode);
        for (int i = 0; i < 4; i++) Assert.Equal((float)episode[i], tokens[i][1], 1e-4f);
    }

    [Fact]
    public void Mismatched_or_non_finite_inputs_are_refused()
    {
        var credit = new PrefixTreeCredit();
        Assert.Throws<ArgumentException>(() => credit.Estimate([[0, 1]], [new(1), new(0)], [0.5, -0.5]));
        Assert.Throws<ArgumentException>(() => credit.Estimate([[0, 1], [0, 2]], [new(double.NaN), new(0)], [0, 0]));
        Assert.Throws<ArgumentException>(() => credit.Estimate([[0, 1], [0, 2]], [new(1), new(0)], [double.PositiveInfinity, 0]));
    }

    private static readonly Comparer Tolerance = new();

    private sealed class Comparer : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) < 1e-5f;
        public int GetHashCode(float obj) => 0;
    }
}
