namespace Agentic.Rl.Advantages;

/// <summary>One rollout of a group as the advantage estimator sees it.</summary>
/// <param name="Reward">The rollout's scalar reward.</param>
/// <param name="Subgroup">
/// An optional subgroup key: rollouts are compared only with rollouts of the same key (for example <c>clean</c> and
/// <c>noisy</c>, as NoisyAgent computes advantages separately for its clean and noisy rollouts). Null is a key too.
/// </param>
public readonly record struct GroupedReward(double Reward, string? Subgroup = null);

/// <summary>
/// Turns the rewards of one group of rollouts (several answers to the same task) into per-rollout advantages.
/// Subclass it for a new estimator; <see cref="EstimateCore"/> sees the rewards of one subgroup at a time.
/// </summary>
public abstract class AdvantageEstimator
{
    /// <summary>Computes one advantage per rollout of a group, in order.</summary>
    /// <param name="group">The group's rewards (and subgroup keys).</param>
    /// <returns>The advantages, aligned with <paramref name="group"/>.</returns>
    /// <exception cref="ArgumentException">A reward is NaN or infinite.</exception>
    public double[] Estimate(IReadOnlyList<GroupedReward> group)
    {
        ArgumentNullException.ThrowIfNull(group);
        for (int i = 0; i < group.Count; i++)
        {
            if (!double.IsFinite(group[i].Reward))
                throw new ArgumentException($"Reward {i} of the group is not finite ({group[i].Reward}).", nameof(group));
        }

        var advantages = new double[group.Count];
        foreach (var subgroup in Enumerable.Range(0, group.Count).GroupBy(i => group[i].Subgroup ?? ""))
        {
            int[] members = [.. subgroup];
            var result = EstimateCore([.. members.Select(i => group[i].Reward)]);
            if (result.Length != members.Length)
                throw new InvalidOperationException($"{GetType().Name} returned {result.Length} advantages for {members.Length} rewards.");
            for (int j = 0; j < members.Length; j++) advantages[members[j]] = result[j];
        }

        return advantages;
    }

    /// <summary>Computes the advantages of one subgroup's rewards.</summary>
    /// <param name="rewards">The rewards (finite, at least one).</param>
    /// <returns>One advantage per reward.</returns>
    protected abstract double[] EstimateCore(double[] rewards);

    /// <summary>Whether every reward of the group is equal (such a group carries no learning signal).</summary>
    public static bool IsConstant(IReadOnlyList<GroupedReward> group)
    {
        ArgumentNullException.ThrowIfNull(group);
        return group.Count == 0 || group.All(g => g.Reward == group[0].Reward);
    }
}
