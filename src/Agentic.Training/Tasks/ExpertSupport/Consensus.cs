namespace Agentic.Training.Tasks.ExpertSupport;

/// <summary>
/// Cross-checks repeated readings of a value that matters: a value counts once two readings agree. Noise is per call,
/// so two independent readings agreeing on a wrong value is very unlikely; readings that lack the value (an incomplete
/// result) are left out by the caller.
/// </summary>
internal static class Consensus
{
    /// <summary>Readings after which, still without two that agree, the most frequent one (the latest among ties) is taken.</summary>
    public const int GiveUpAfter = 5;

    /// <summary>The value two readings agree on, or default when none do yet (another reading is needed).</summary>
    /// <param name="readings">The readings, oldest first.</param>
    /// <param name="value">The agreed value.</param>
    /// <param name="comparer">How to compare readings; defaults to <see cref="EqualityComparer{T}.Default"/>.</param>
    public static bool TryAgree<T>(IReadOnlyList<T> readings, out T value, IEqualityComparer<T>? comparer = null)
        where T : notnull
    {
        comparer ??= EqualityComparer<T>.Default;
        for (int i = 1; i < readings.Count; i++)
        {
            for (int j = 0; j < i; j++)
            {
                if (comparer.Equals(readings[i], readings[j]))
                {
                    value = readings[i];
                    return true;
                }
            }
        }
        if (readings.Count >= GiveUpAfter)
        {
            value = readings.Select((r, i) => (r, i)).GroupBy(x => x.r, comparer)
                .OrderByDescending(g => g.Count()).ThenByDescending(g => g.Max(x => x.i)).First().Key;
            return true;
        }
        value = default!;
        return false;
    }

    /// <summary>How many more readings to ask for at once: two when there are none, else one.</summary>
    public static int Needed<T>(IReadOnlyList<T> readings) => readings.Count == 0 ? 2 : 1;
}
