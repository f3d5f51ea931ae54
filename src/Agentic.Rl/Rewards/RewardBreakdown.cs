namespace Agentic.Rl.Rewards;

/// <summary>A shaped reward and where it came from.</summary>
/// <param name="Total">The reward: the sum of <paramref name="Components"/>, clamped when the composite has bounds.</param>
/// <param name="Components">The weighted term of every shaper (weight times score), keyed by the shaper's name.</param>
public sealed record RewardBreakdown(double Total, IReadOnlyDictionary<string, double> Components);
