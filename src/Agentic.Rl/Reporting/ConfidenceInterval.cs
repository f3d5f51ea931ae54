namespace Agentic.Rl.Reporting;

/// <summary>A closed interval, such as a 95% confidence interval of a success rate.</summary>
/// <param name="Lower">Lower bound.</param>
/// <param name="Upper">Upper bound.</param>
public readonly record struct ConfidenceInterval(double Lower, double Upper)
{
    /// <summary>
    /// The Wilson score interval of a success rate observed over <paramref name="trials"/> episodes (95% by default).
    /// Unlike the normal approximation it stays inside [0, 1] and is sensible at rates of 0 and 1.
    /// </summary>
    /// <param name="rate">Observed success rate in [0, 1].</param>
    /// <param name="trials">Number of episodes; 0 gives [0, 1].</param>
    /// <param name="z">Normal quantile of the confidence level (1.96 for 95%).</param>
    /// <returns>The interval.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="rate"/> is outside [0, 1], <paramref name="trials"/> is negative, or <paramref name="z"/> is not positive.</exception>
    public static ConfidenceInterval Wilson(double rate, int trials, double z = 1.96)
    {
        if (!(rate >= 0 && rate <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(rate), rate, "A rate lies in [0, 1].");
        }
        ArgumentOutOfRangeException.ThrowIfNegative(trials);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(z);
        if (trials == 0)
        {
            return new ConfidenceInterval(0, 1);
        }
        double n = trials, z2 = z * z;
        var denominator = 1 + z2 / n;
        var centre = (rate + z2 / (2 * n)) / denominator;
        var half = z * Math.Sqrt(rate * (1 - rate) / n + z2 / (4 * n * n)) / denominator;
        return new ConfidenceInterval(Math.Max(0, centre - half), Math.Min(1, centre + half));
    }

    /// <summary>
    /// The interval of the difference <c>after - before</c> between two success rates measured on the same items (the
    /// same held-out tasks under the same seeds), by Newcombe's (1998) square-and-add method for paired proportions
    /// (his method 10: Wilson intervals of both rates, combined with the correlation of the paired outcomes, with the
    /// continuity-corrected phi of Altman et al., <i>Statistics with Confidence</i>). Pairing makes it narrower than
    /// comparing two independent intervals when the outcomes agree on most items, which they do for two checkpoints of
    /// one policy.
    /// </summary>
    /// <param name="bothSucceeded">Items both succeeded on.</param>
    /// <param name="onlyAfterSucceeded">Items only the "after" measurement succeeded on.</param>
    /// <param name="onlyBeforeSucceeded">Items only the "before" measurement succeeded on.</param>
    /// <param name="bothFailed">Items both failed on.</param>
    /// <param name="z">Normal quantile of the confidence level (1.96 for 95%).</param>
    /// <returns>The interval, within [-1, 1]; [-1, 1] without items.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A count is negative or <paramref name="z"/> is not positive.</exception>
    public static ConfidenceInterval PairedDifference(int bothSucceeded, int onlyAfterSucceeded, int onlyBeforeSucceeded, int bothFailed, double z = 1.96)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bothSucceeded);
        ArgumentOutOfRangeException.ThrowIfNegative(onlyAfterSucceeded);
        ArgumentOutOfRangeException.ThrowIfNegative(onlyBeforeSucceeded);
        ArgumentOutOfRangeException.ThrowIfNegative(bothFailed);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(z);
        double r = bothSucceeded, s = onlyAfterSucceeded, t = onlyBeforeSucceeded, u = bothFailed, n = r + s + t + u;
        if (n == 0)
        {
            return new ConfidenceInterval(-1, 1);
        }
        double after = (r + s) / n, before = (r + t) / n, difference = after - before;
        var a = Wilson(after, (int)n, z);
        var b = Wilson(before, (int)n, z);
        double product = (r + s) * (t + u) * (r + t) * (s + u);
        double agreement = r * u - s * t;
        double corrected = agreement > n / 2 ? agreement - n / 2 : agreement < 0 ? agreement : 0;
        double phi = product > 0 ? corrected / Math.Sqrt(product) : 0;
        double Spread(double x, double y) => Math.Sqrt(Math.Max(0, x * x - 2 * phi * x * y + y * y));
        double lower = difference - Spread(after - a.Lower, b.Upper - before);
        double upper = difference + Spread(before - b.Lower, a.Upper - after);
        return new ConfidenceInterval(Math.Max(-1, lower), Math.Min(1, upper));
    }

    /// <summary>
    /// <see cref="PairedDifference(int, int, int, int, double)"/> from the outcomes themselves: item <c>i</c> succeeded
    /// before when <c>before[i]</c>, after when <c>after[i]</c>.
    /// </summary>
    /// <param name="before">Outcomes of the first measurement.</param>
    /// <param name="after">Outcomes of the second, on the same items in the same order.</param>
    /// <param name="z">Normal quantile of the confidence level (1.96 for 95%).</param>
    /// <returns>The interval of the difference after - before.</returns>
    /// <exception cref="ArgumentException">The two lists differ in length.</exception>
    public static ConfidenceInterval PairedDifference(IReadOnlyList<bool> before, IReadOnlyList<bool> after, double z = 1.96)
    {
        ArgumentNullException.ThrowIfNull(before);
        ArgumentNullException.ThrowIfNull(after);
        if (before.Count != after.Count) throw new ArgumentException($"Paired outcomes need equal lengths ({before.Count} before, {after.Count} after).", nameof(after));
        int both = 0, onlyAfter = 0, onlyBefore = 0, neither = 0;
        for (int i = 0; i < before.Count; i++)
        {
            if (before[i] && after[i]) both++;
            else if (after[i]) onlyAfter++;
            else if (before[i]) onlyBefore++;
            else neither++;
        }
        return PairedDifference(both, onlyAfter, onlyBefore, neither, z);
    }
}
