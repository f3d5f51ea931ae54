using System.Diagnostics.CodeAnalysis;
using System.Text.Json.Serialization;
using Agentic.Core.Randomness;

namespace Agentic.Training.Noise;

/// <summary>The complete, serializable state of a <see cref="NoiseCurriculum"/> (it goes into checkpoints).</summary>
/// <param name="Level">The current level.</param>
/// <param name="CleanOutcomes">The recent outcomes of clean rollouts (oldest first, at most the window).</param>
/// <param name="NoisyOutcomes">The recent outcomes of noisy rollouts (oldest first, at most the window).</param>
/// <param name="LevelRaises">How many times the level has risen.</param>
/// <param name="Random">The state of the generator that picks noisy rollouts.</param>
[Experimental(NoiseCurriculum.DiagnosticId)]
public sealed record NoiseCurriculumState(
    NoiseLevel Level,
    IReadOnlyList<bool> CleanOutcomes,
    IReadOnlyList<bool> NoisyOutcomes,
    int LevelRaises,
    RandomState Random);

/// <summary>Source-generated JSON of the noise types.</summary>
[Experimental(NoiseCurriculum.DiagnosticId)]
[JsonSourceGenerationOptions(UseStringEnumConverter = true, WriteIndented = true)]
[JsonSerializable(typeof(NoiseCurriculumState))]
internal sealed partial class NoiseJsonContext : JsonSerializerContext;
