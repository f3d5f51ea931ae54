namespace Agentic.Rl.Rewards;

/// <summary>Options of a <see cref="CompositeReward"/>.</summary>
public sealed class CompositeRewardOptions
{
    /// <summary>Gets or sets the composite's own name (when it is a term of another composite). Default <c>composite</c>.</summary>
    public string Name { get; set; } = "composite";

    /// <summary>Gets or sets the lower bound of <see cref="RewardBreakdown.Total"/>; <see langword="null"/> for none.</summary>
    public double? MinTotal { get; set; }

    /// <summary>Gets or sets the upper bound of <see cref="RewardBreakdown.Total"/>; <see langword="null"/> for none.</summary>
    public double? MaxTotal { get; set; }

    /// <summary>Throws when the options are inconsistent.</summary>
    /// <exception cref="ArgumentException">The name is empty, a bound is not finite, or <see cref="MinTotal"/> exceeds <see cref="MaxTotal"/>.</exception>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Name)) throw new ArgumentException("Name must not be empty.", nameof(Name));
        if (MinTotal is { } min && !double.IsFinite(min)) throw new ArgumentException("MinTotal must be finite.", nameof(MinTotal));
        if (MaxTotal is { } max && !double.IsFinite(max)) throw new ArgumentException("MaxTotal must be finite.", nameof(MaxTotal));
        if (MinTotal > MaxTotal) throw new ArgumentException("MinTotal must not exceed MaxTotal.", nameof(MinTotal));
    }
}
