namespace Agentic.Rl.Rewards;

/// <summary>One weighted term of a <see cref="CompositeReward"/>.</summary>
/// <param name="Shaper">The shaper.</param>
/// <param name="Weight">Its weight (finite; may be negative or zero).</param>
public sealed record RewardTerm(RewardShaper Shaper, double Weight);
