namespace Agentic.Rl.Modeling;

/// <summary>
/// Observed Mixture-of-Experts routing: how many token assignments each expert received, per layer. Experts are
/// numbered routed first (0..N-1), then zero-computation experts (N..N+Z-1).
/// </summary>
/// <param name="NumExperts">Number of routed experts (N).</param>
/// <param name="NumZeroExperts">Number of zero-computation experts (Z).</param>
/// <param name="TokensPerExpert">For each layer, the assignment count of each of the N + Z experts.</param>
public sealed record RoutingStatistics(int NumExperts, int NumZeroExperts, IReadOnlyList<long[]> TokensPerExpert)
{
    /// <summary>Total assignments over all layers and experts.</summary>
    public long TotalAssignments => TokensPerExpert.Sum(l => l.Sum());

    /// <summary>Share of all assignments that went to zero-computation experts (0 when nothing was routed).</summary>
    public double ZeroExpertShare
    {
        get
        {
            long total = TotalAssignments;
            if (total == 0) return 0;
            long zero = TokensPerExpert.Sum(l => l.Skip(NumExperts).Sum());
            return (double)zero / total;
        }
    }

    /// <summary>
    /// Load imbalance of one layer: the coefficient of variation of its per-expert counts (0 = perfectly uniform).
    /// </summary>
    public double Imbalance(int layer)
    {
        var counts = TokensPerExpert[layer];
        double mean = counts.Average();
        if (mean == 0) return 0;
        double variance = counts.Average(c => (c - mean) * (c - mean));
        return Math.Sqrt(variance) / mean;
    }
}
