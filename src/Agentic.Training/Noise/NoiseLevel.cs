namespace Agentic.Training.Noise;

/// <summary>
/// A named bundle of noise kinds and injection rates (see <see cref="ToolNoiseOptions.ForLevel"/> and
/// <see cref="UserNoiseOptions.ForLevel"/> for the exact numbers of each level).
/// </summary>
public enum NoiseLevel
{
    /// <summary>No noise: the injectors are disabled.</summary>
    None = 0,

    /// <summary>Mild, surface-level noise: transient failures, latency, redundant payloads, typos, filler.</summary>
    Low = 1,

    /// <summary>Adds timeouts, incomplete results, self-corrections, topic shifts and referential ambiguity.</summary>
    Medium = 2,

    /// <summary>Every kind, including misleading values, schema drift, context omission and goal ambiguity.</summary>
    High = 3,
}
