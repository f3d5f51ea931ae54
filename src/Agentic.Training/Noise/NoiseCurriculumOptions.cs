using System.Diagnostics.CodeAnalysis;

namespace Agentic.Training.Noise;

/// <summary>Options of a <see cref="NoiseCurriculum"/>.</summary>
/// <remarks>The NoisyAgent summary leaves the threshold and window unpublished; the defaults here are this project's choices.</remarks>
[Experimental(NoiseCurriculum.DiagnosticId)]
public sealed class NoiseCurriculumOptions
{
    /// <summary>Gets or sets the fraction of each rollout group that gets noise, in [0, 1]. Defaults to 0.5.</summary>
    public double NoisyFraction { get; set; } = 0.5;

    /// <summary>Gets or sets how many recent outcomes of each arm (clean, noisy) the gap is measured over. Defaults to 64.</summary>
    public int Window { get; set; } = 64;

    /// <summary>
    /// Gets or sets the gap (clean success rate minus noisy success rate) at or below which the level rises, once both
    /// windows are full. Defaults to 0.05.
    /// </summary>
    public double GapThreshold { get; set; } = 0.05;

    /// <summary>
    /// Gets or sets the clean success rate the policy must reach before the level may rise. Without it a policy that
    /// fails everywhere has no gap either, and the noise would climb to the top while nothing is learnt. Defaults to 0.1.
    /// </summary>
    public double MinCleanSuccess { get; set; } = 0.1;

    /// <summary>Gets or sets the starting level. Defaults to <see cref="NoiseLevel.Low"/>.</summary>
    public NoiseLevel InitialLevel { get; set; } = NoiseLevel.Low;

    /// <summary>Gets or sets the highest level the curriculum reaches. Defaults to <see cref="NoiseLevel.High"/>.</summary>
    public NoiseLevel MaxLevel { get; set; } = NoiseLevel.High;

    /// <summary>Gets or sets the seed of the generator that picks which rollouts are noisy. Defaults to 0.</summary>
    public ulong Seed { get; set; }
}
