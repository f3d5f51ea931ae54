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

/// <summary>
/// Draws tasks for suites whose worlds come from seeds: for each task a difficulty in the configured range, then world
/// seeds on the requested side of the held-out split until one world has a task of that difficulty.
/// </summary>
internal static class SeededTaskSampler
{
    public static IReadOnlyList<Agentic.Core.Agents.AgentTask> Sample<TTask>(
        Random random, int count, bool heldOut, int minDifficulty, int maxDifficulty, int maxAttempts,
        Func<ulong, bool> isHeldOut, Func<ulong, int, Random, TTask?> tryCreate, Func<int, string> noTaskMessage)
        where TTask : Agentic.Core.Agents.AgentTask
    {
        ArgumentNullException.ThrowIfNull(random);
        var tasks = new List<Agentic.Core.Agents.AgentTask>(count);
        while (tasks.Count < count)
        {
            int difficulty = random.Next(minDifficulty, maxDifficulty + 1);
            TTask? task = null;
            for (int attempt = 0; attempt < maxAttempts && task is null; attempt++)
            {
                ulong seed = (ulong)random.NextInt64(1, long.MaxValue);
                if (isHeldOut(seed) != heldOut) continue;
                task = tryCreate(seed, difficulty, random);
            }
            tasks.Add(task ?? throw new InvalidOperationException(noTaskMessage(difficulty)));
        }
        return tasks;
    }
}
