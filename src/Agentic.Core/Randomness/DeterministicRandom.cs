using System.Buffers.Binary;
using System.Numerics;

namespace Agentic.Core.Randomness;

/// <summary>
/// A seedable, checkpointable pseudo-random generator: xoshiro256** (Blackman and Vigna) seeded through SplitMix64.
/// </summary>
/// <remarks>
/// <para>
/// Every virtual member of <see cref="Random"/> is overridden, so the inherited helpers (<see cref="Random.Shuffle{T}(Span{T})"/>,
/// <see cref="Random.GetItems{T}(ReadOnlySpan{T}, int)"/>, …) draw from this generator and nothing else.
/// The sequence depends only on the seed (or the restored <see cref="RandomState"/>); it is identical on every platform
/// and runtime, unlike <see cref="Random(int)"/>, whose algorithm is an implementation detail.
/// </para>
/// <para>
/// <see cref="GetState"/> and <see cref="SetState"/> capture and restore the whole state, so a training run resumed from
/// a checkpoint draws exactly the numbers it would have drawn without the interruption.
/// </para>
/// <para>Bounded integers are unbiased (Lemire's multiply-and-reject method). An instance is not thread-safe.</para>
/// </remarks>
public sealed class DeterministicRandom : Random
{
    private const double DoubleUnit = 1.0 / (1UL << 53);
    private const float SingleUnit = 1.0f / (1U << 24);

    private ulong _s0;
    private ulong _s1;
    private ulong _s2;
    private ulong _s3;

    /// <summary>Initializes a generator whose state is expanded from <paramref name="seed"/> by SplitMix64.</summary>
    /// <param name="seed">Any 64-bit value, zero included.</param>
    public DeterministicRandom(ulong seed)
        : base(0) // The legacy base state is never used: every virtual member is overridden.
    {
        ulong x = seed;
        _s0 = SplitMix64(ref x);
        _s1 = SplitMix64(ref x);
        _s2 = SplitMix64(ref x);
        _s3 = SplitMix64(ref x);
    }

    /// <summary>Initializes a generator that continues from a saved <paramref name="state"/>.</summary>
    /// <param name="state">A state returned by <see cref="GetState"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="state"/> is all zero.</exception>
    public DeterministicRandom(RandomState state)
        : base(0)
    {
        SetState(state);
    }

    /// <summary>Returns the complete current state; pass it to <see cref="SetState"/> to replay from this point.</summary>
    /// <returns>The four state words.</returns>
    public RandomState GetState() => new(_s0, _s1, _s2, _s3);

    /// <summary>Replaces the complete state, so that the next draws are the ones that followed <paramref name="state"/>.</summary>
    /// <param name="state">A state returned by <see cref="GetState"/>.</param>
    /// <exception cref="ArgumentException"><paramref name="state"/> is all zero (xoshiro256** would emit zeros forever).</exception>
    public void SetState(RandomState state)
    {
        if (!state.IsValid)
        {
            throw new ArgumentException("The all-zero state is not a valid xoshiro256** state.", nameof(state));
        }

        (_s0, _s1, _s2, _s3) = (state.S0, state.S1, state.S2, state.S3);
    }

    /// <summary>
    /// Derives an independent child generator for sub-stream <paramref name="stream"/> (for example one per rollout worker).
    /// </summary>
    /// <param name="stream">The sub-stream number; different numbers give unrelated children.</param>
    /// <returns>A new generator whose state is a SplitMix64 hash of this generator's current state and <paramref name="stream"/>.</returns>
    /// <remarks>
    /// Forking does <b>not</b> advance this generator: the parent's sequence is the same whether or not, and how often,
    /// it is forked, so adding a worker never perturbs the main stream. As a consequence, forking the same stream number
    /// twice from the same parent state returns two identical children; use distinct stream numbers, or draw from the
    /// parent between forks, when distinct children are wanted.
    /// </remarks>
    public DeterministicRandom Fork(ulong stream)
    {
        ulong x = stream;
        ulong h = SplitMix64(ref x);
        h = Mix(h ^ _s0);
        h = Mix(h ^ _s1);
        h = Mix(h ^ _s2);
        h = Mix(h ^ _s3);
        return new DeterministicRandom(h);
    }

    /// <summary>Returns 64 uniformly distributed random bits (one xoshiro256** step).</summary>
    /// <returns>A value in [0, <see cref="ulong.MaxValue"/>].</returns>
    public ulong NextUInt64()
    {
        ulong s0 = _s0, s1 = _s1, s2 = _s2, s3 = _s3;
        ulong result = BitOperations.RotateLeft(s1 * 5, 7) * 9;
        ulong t = s1 << 17;
        s2 ^= s0;
        s3 ^= s1;
        s1 ^= s2;
        s0 ^= s3;
        s2 ^= t;
        s3 = BitOperations.RotateLeft(s3, 45);
        (_s0, _s1, _s2, _s3) = (s0, s1, s2, s3);
        return result;
    }

    /// <summary>Returns a non-negative random integer less than <see cref="int.MaxValue"/>.</summary>
    /// <returns>A value in [0, <see cref="int.MaxValue"/>).</returns>
    public override int Next() => (int)NextBounded32(int.MaxValue);

    /// <summary>Returns a non-negative random integer less than <paramref name="maxValue"/>.</summary>
    /// <param name="maxValue">The exclusive upper bound; must be non-negative.</param>
    /// <returns>A value in [0, <paramref name="maxValue"/>), or 0 when <paramref name="maxValue"/> is 0.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxValue"/> is negative.</exception>
    public override int Next(int maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxValue);
        return (int)NextBounded32((uint)maxValue);
    }

    /// <summary>Returns a random integer in [<paramref name="minValue"/>, <paramref name="maxValue"/>).</summary>
    /// <param name="minValue">The inclusive lower bound.</param>
    /// <param name="maxValue">The exclusive upper bound; must be at least <paramref name="minValue"/>.</param>
    /// <returns>A value in the range, or <paramref name="minValue"/> when the bounds are equal.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="minValue"/> is greater than <paramref name="maxValue"/>.</exception>
    public override int Next(int minValue, int maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minValue, maxValue);
        return (int)((uint)minValue + NextBounded32((uint)(maxValue - minValue)));
    }

    /// <summary>Returns a non-negative random integer less than <see cref="long.MaxValue"/>.</summary>
    /// <returns>A value in [0, <see cref="long.MaxValue"/>).</returns>
    public override long NextInt64() => (long)NextBounded64(long.MaxValue);

    /// <summary>Returns a non-negative random integer less than <paramref name="maxValue"/>.</summary>
    /// <param name="maxValue">The exclusive upper bound; must be non-negative.</param>
    /// <returns>A value in [0, <paramref name="maxValue"/>), or 0 when <paramref name="maxValue"/> is 0.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="maxValue"/> is negative.</exception>
    public override long NextInt64(long maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxValue);
        return (long)NextBounded64((ulong)maxValue);
    }

    /// <summary>Returns a random integer in [<paramref name="minValue"/>, <paramref name="maxValue"/>).</summary>
    /// <param name="minValue">The inclusive lower bound.</param>
    /// <param name="maxValue">The exclusive upper bound; must be at least <paramref name="minValue"/>.</param>
    /// <returns>A value in the range, or <paramref name="minValue"/> when the bounds are equal.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="minValue"/> is greater than <paramref name="maxValue"/>.</exception>
    public override long NextInt64(long minValue, long maxValue)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(minValue, maxValue);
        return (long)((ulong)minValue + NextBounded64((ulong)(maxValue - minValue)));
    }

    /// <summary>Returns a random double in [0, 1) with 53 random bits (a multiple of 2^-53).</summary>
    /// <returns>A value in [0, 1).</returns>
    public override double NextDouble() => (NextUInt64() >> 11) * DoubleUnit;

    /// <summary>Returns a random float in [0, 1) with 24 random bits (a multiple of 2^-24).</summary>
    /// <returns>A value in [0, 1).</returns>
    public override float NextSingle() => (NextUInt64() >> 40) * SingleUnit;

    /// <summary>Fills <paramref name="buffer"/> with random bytes.</summary>
    /// <param name="buffer">The array to fill.</param>
    /// <exception cref="ArgumentNullException"><paramref name="buffer"/> is <see langword="null"/>.</exception>
    public override void NextBytes(byte[] buffer)
    {
        ArgumentNullException.ThrowIfNull(buffer);
        NextBytes(buffer.AsSpan());
    }

    /// <summary>
    /// Fills <paramref name="buffer"/> with random bytes, eight per draw in little-endian order (the last draw is truncated),
    /// so the bytes are the same on every platform.
    /// </summary>
    /// <param name="buffer">The span to fill.</param>
    public override void NextBytes(Span<byte> buffer)
    {
        while (buffer.Length >= sizeof(ulong))
        {
            BinaryPrimitives.WriteUInt64LittleEndian(buffer, NextUInt64());
            buffer = buffer[sizeof(ulong)..];
        }

        if (!buffer.IsEmpty)
        {
            Span<byte> last = stackalloc byte[sizeof(ulong)];
            BinaryPrimitives.WriteUInt64LittleEndian(last, NextUInt64());
            last[..buffer.Length].CopyTo(buffer);
        }
    }

    /// <summary>Returns a random double in [0, 1); the same as <see cref="NextDouble"/>.</summary>
    /// <returns>A value in [0, 1).</returns>
    protected override double Sample() => NextDouble();

    /// <summary>Unbiased integer in [0, range) by Lemire's method; 0 when range is 0.</summary>
    private uint NextBounded32(uint range)
    {
        if (range <= 1)
        {
            return 0;
        }

        ulong m = (NextUInt64() >> 32) * range;
        uint low = (uint)m;
        if (low < range)
        {
            uint threshold = (0u - range) % range;
            while (low < threshold)
            {
                m = (NextUInt64() >> 32) * range;
                low = (uint)m;
            }
        }

        return (uint)(m >> 32);
    }

    /// <summary>Unbiased integer in [0, range) by Lemire's method; 0 when range is 0.</summary>
    private ulong NextBounded64(ulong range)
    {
        if (range <= 1)
        {
            return 0;
        }

        ulong high = Math.BigMul(NextUInt64(), range, out ulong low);
        if (low < range)
        {
            ulong threshold = (0UL - range) % range;
            while (low < threshold)
            {
                high = Math.BigMul(NextUInt64(), range, out low);
            }
        }

        return high;
    }

    private static ulong SplitMix64(ref ulong x)
    {
        x += 0x9E3779B97F4A7C15UL;
        return Mix(x);
    }

    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
