namespace Agentic.Training.Tasks;

/// <summary>
/// The fixed, seed-independent train/held-out split every built-in suite uses: a SplitMix64 finaliser maps a key
/// (a world seed, an operand pair) to [0, 1), and keys below the held-out fraction are held out.
/// </summary>
internal static class HeldOutSplit
{
    /// <summary>Whether <paramref name="key"/> falls in the held-out share <paramref name="fraction"/>.</summary>
    public static bool IsHeldOut(ulong key, double fraction)
    {
        ulong z = key;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        z ^= z >> 31;
        return (z >> 11) * (1.0 / (1UL << 53)) < fraction;
    }
}
