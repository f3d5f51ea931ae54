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
}
