using Agentic.Core.Randomness;

namespace Agentic.Training.Noise;

/// <summary>Seeded randomizers and draws shared by the noise injectors.</summary>
internal static class NoiseRandom
{
    /// <summary>A thread-safe <c>Func&lt;double&gt;</c> over a <see cref="DeterministicRandom"/> seeded with <paramref name="seed"/>.</summary>
    public static Func<double> Create(ulong seed)
    {
        var random = new DeterministicRandom(seed);
        var gate = new object();
        return () =>
        {
            lock (gate)
            {
                return random.NextDouble();
            }
        };
    }

    /// <summary>A value in [0, <paramref name="count"/>) from one draw of <paramref name="randomizer"/>.</summary>
    public static int NextInt(Func<double> randomizer, int count)
    {
        if (count <= 1)
        {
            return 0;
        }

        double u = randomizer();
        int i = (int)(Math.Clamp(u, 0.0, 1.0) * count);
        return Math.Min(i, count - 1);
    }

    /// <summary>Picks one of <paramref name="candidates"/> with probability proportional to its positive weight.</summary>
    /// <returns><see langword="false"/> when no candidate has a positive weight.</returns>
    public static bool TryPickWeighted<T>(Func<double> randomizer, IReadOnlyList<KeyValuePair<T, double>> candidates, out T picked)
    {
        double total = 0;
        foreach (var (_, weight) in candidates)
        {
            if (weight > 0 && double.IsFinite(weight))
            {
                total += weight;
            }
        }

        picked = default!;
        if (total <= 0)
        {
            return false;
        }

        double target = Math.Clamp(randomizer(), 0.0, 1.0) * total;
        double running = 0;
        foreach (var (item, weight) in candidates)
        {
            if (!(weight > 0 && double.IsFinite(weight)))
            {
                continue;
            }

            running += weight;
            picked = item;
            if (target < running)
            {
                return true;
            }
        }

        return true; // Rounding: the last positive candidate.
    }
}
