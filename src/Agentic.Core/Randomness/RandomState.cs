namespace Agentic.Core.Randomness;

/// <summary>
/// The complete 256-bit state of a <see cref="DeterministicRandom"/> (the four xoshiro256** words).
/// Save it in a checkpoint with <see cref="DeterministicRandom.GetState"/> and restore it with
/// <see cref="DeterministicRandom.SetState"/> or <see cref="DeterministicRandom(RandomState)"/> to resume the stream bit for bit.
/// </summary>
/// <param name="S0">State word 0.</param>
/// <param name="S1">State word 1.</param>
/// <param name="S2">State word 2.</param>
/// <param name="S3">State word 3.</param>
/// <remarks>The all-zero state is a fixed point of xoshiro256** and is rejected wherever a state is accepted.</remarks>
public readonly record struct RandomState(ulong S0, ulong S1, ulong S2, ulong S3)
{
    /// <summary>Gets a value indicating whether this state can drive a generator (it is not all zero).</summary>
    public bool IsValid => (S0 | S1 | S2 | S3) != 0;
}
