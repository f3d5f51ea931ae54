using Agentic.Training.Noise;

namespace Agentic.Rl.Rollouts;

/// <summary>
/// The description of one rollout group, complete enough for any worker (in this process or on another machine) to
/// regenerate it exactly: the suite, the seed its task is sampled from, one episode seed per rollout, which rollouts run
/// under noise and at what level, and the sampler's seed. Its <see cref="Id"/> makes results idempotent: a trainer
/// counts at most one result per id.
/// </summary>
/// <param name="Id">Unique, increasing id of the request within a run.</param>
/// <param name="Suite">The suite's name.</param>
/// <param name="TaskSeed">Seed of the random stream the task is sampled from (<c>SampleTraining(new DeterministicRandom(TaskSeed), 1)</c>).</param>
/// <param name="EpisodeSeeds">One episode seed per rollout of the group.</param>
/// <param name="Noisy">Whether each rollout runs under tool noise; same length as <paramref name="EpisodeSeeds"/>.</param>
/// <param name="NoiseLevel">The noise level of the noisy rollouts.</param>
/// <param name="SamplerSeed">Seed of token sampling when the group is generated on its own.</param>
public sealed record RolloutRequest(long Id, string Suite, ulong TaskSeed, ulong[] EpisodeSeeds, bool[] Noisy, NoiseLevel NoiseLevel, ulong SamplerSeed)
{
    /// <summary>Rollouts in the group.</summary>
    public int GroupSize => EpisodeSeeds.Length;

    /// <summary>Throws <see cref="ArgumentException"/> when the request is malformed.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(Suite)) throw new ArgumentException("A rollout request needs a suite.");
        if (EpisodeSeeds is null || Noisy is null || EpisodeSeeds.Length == 0) throw new ArgumentException("A rollout request needs episode seeds.");
        if (EpisodeSeeds.Length != Noisy.Length) throw new ArgumentException($"Episode seeds ({EpisodeSeeds.Length}) and noise flags ({Noisy.Length}) differ in length.");
    }
}
