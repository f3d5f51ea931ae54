namespace Agentic.Rl.Advantages;

/// <summary>
/// Token-level credit from the prefix tree of a group's rollouts (the Monte Carlo values of TreeRL and VinePPO, read
/// off the samples GRPO already has). The rollouts of a (sub)group that share their first <c>L</c> tokens pass through
/// one node of a tree; the node's value is the mean reward of those rollouts. Token <c>t</c> of a rollout gets
/// <c>V(prefix of t + 1 tokens) - V(prefix of t tokens)</c>: zero while it follows the same path as other rollouts,
/// non-zero where it branches off, and zero again once it is alone on its branch. So the advantage lands on the tokens
/// where sampled rollouts of the same task went different ways (a wrong digit copied, a call made instead of a
/// question asked), and not on every token of an episode whose outcome a single slip decided.
/// </summary>
/// <remarks>
/// <para>Per rollout, the token advantages telescope to the rollout's reward minus its subgroup's mean (when the
/// rollouts share their first token and no two are identical), which is the episode advantage GRPO broadcasts over
/// every token. The scale is the episode estimator's: the tree values are multiplied by the least-squares slope of the
/// episode advantages on the centred rewards of the subgroup (for GRPO, one over the standard deviation; for Dr. GRPO,
/// 1), so learning rates carry over.</para>
/// <para>Tokens an environment wrote (tool results, user turns) may branch too (a stochastic tool); the value change
/// across them is no policy token's credit, and the trainer's loss mask drops it.</para>
/// <para>The trainers use it when <see cref="Rollouts.AgentRlOptions.Credit"/> is <see cref="Rollouts.CreditAssignment.PrefixTree"/>; any other
/// token-level scheme reaches the trainer through <see cref="Training.PolicySample.TokenAdvantages"/>.</para>
/// </remarks>
public class PrefixTreeCredit
{
    /// <summary>Computes per-token advantages for the rollouts of one group.</summary>
    /// <param name="sequences">Each rollout's whole token sequence (prompt included).</param>
    /// <param name="rewards">Each rollout's reward and subgroup key (rollouts are compared only within a subgroup).</param>
    /// <param name="episodeAdvantages">The episode estimator's advantages for the same rollouts (they set the scale).</param>
    /// <returns>For each rollout, one advantage per token (index <c>t</c> is token <c>t</c>; index 0 is 0).</returns>
    /// <exception cref="ArgumentException">The three lists differ in length, or a reward or advantage is not finite.</exception>
    public virtual float[][] Estimate(IReadOnlyList<int[]> sequences, IReadOnlyList<GroupedReward> rewards, IReadOnlyList<double> episodeAdvantages)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        ArgumentNullException.ThrowIfNull(rewards);
        ArgumentNullException.ThrowIfNull(episodeAdvantages);
        if (sequences.Count != rewards.Count || rewards.Count != episodeAdvantages.Count)
            throw new ArgumentException($"{sequences.Count} sequences, {rewards.Count} rewards and {episodeAdvantages.Count} advantages: one of each per rollout is needed.");
        for (int i = 0; i < rewards.Count; i++)
        {
            ArgumentNullException.ThrowIfNull(sequences[i], nameof(sequences));
            if (!double.IsFinite(rewards[i].Reward) || !double.IsFinite(episodeAdvantages[i]))
                throw new ArgumentException($"Rollout {i} has a non-finite reward ({rewards[i].Reward}) or advantage ({episodeAdvantages[i]}).");
        }

        var result = new float[sequences.Count][];
        for (int i = 0; i < result.Length; i++) result[i] = new float[sequences[i].Length];
        foreach (var subgroup in Enumerable.Range(0, rewards.Count).GroupBy(i => rewards[i].Subgroup ?? ""))
        {
            int[] members = [.. subgroup];
            double scale = Scale(members, rewards, episodeAdvantages);
            if (scale == 0) continue;
            foreach (int i in members) Fill(result[i], i, members, sequences, rewards, scale);
        }

        return result;
    }

    /// <summary>The least-squares slope of the episode advantages on the centred rewards of a subgroup (0 when the rewards are equal).</summary>
    private static double Scale(int[] members, IReadOnlyList<GroupedReward> rewards, IReadOnlyList<double> advantages)
    {
        double mean = members.Average(i => rewards[i].Reward);
        double cross = 0, square = 0;
        foreach (int i in members)
        {
            double centred = rewards[i].Reward - mean;
            cross += centred * advantages[i];
            square += centred * centred;
        }

        return square == 0 ? 0 : cross / square;
    }

    /// <summary>Writes rollout <paramref name="i"/>'s token advantages: the scaled value change across each token.</summary>
    private static void Fill(float[] target, int i, int[] members, IReadOnlyList<int[]> sequences, IReadOnlyList<GroupedReward> rewards, double scale)
    {
        var own = sequences[i];
        // The other rollouts by how many leading tokens they share with this one, ascending.
        var shared = members.Where(j => j != i).Select(j => (Length: own.AsSpan().CommonPrefixLength(sequences[j]), rewards[j].Reward)).OrderBy(x => x.Length).ToArray();
        double sum = rewards[i].Reward + shared.Sum(x => x.Reward);
        int count = shared.Length + 1, next = 0;
        // value(L) is the mean reward of the rollouts that share this rollout's first L tokens (itself included).
        double previous = sum / count;
        for (int t = 0; t < own.Length; t++)
        {
            // Leaving prefix length t for t + 1: rollouts sharing exactly t tokens drop out.
            while (next < shared.Length && shared[next].Length <= t)
            {
                sum -= shared[next].Reward;
                count--;
                next++;
            }

            double value = sum / count;
            target[t] = t == 0 ? 0f : (float)((value - previous) * scale);
            previous = value;
        }
    }
}
