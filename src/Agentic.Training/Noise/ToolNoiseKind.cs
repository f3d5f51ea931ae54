namespace Agentic.Training.Noise;

/// <summary>The kinds of tool noise injected by <see cref="NoisyAIFunction"/>.</summary>
public enum ToolNoiseKind
{
    /// <summary>
    /// The call is not executed and returns an HTTP-like error as an in-band JSON observation, for example
    /// <c>{"error":{"status":429,"code":"too_many_requests","message":"...","retryable":true}}</c>.
    /// </summary>
    Failure = 0,

    /// <summary>
    /// The call is not executed; after <see cref="ToolNoiseOptions.TimeoutDelay"/> it returns
    /// <c>{"error":{"status":408,"code":"timeout","message":"...","retryable":true}}</c>.
    /// </summary>
    Timeout = 1,

    /// <summary>The real result with fields removed, a list cut short, or text truncated.</summary>
    IncompleteResult = 2,

    /// <summary>The real result with one value (number, string or boolean) replaced by a plausible but wrong one.</summary>
    MisleadingValue = 3,

    /// <summary>The real result with a duplicated record or irrelevant extra fields.</summary>
    RedundantPayload = 4,

    /// <summary>The real result with some property names renamed (snake_case/camelCase/PascalCase drift).</summary>
    SchemaDrift = 5,

    /// <summary>The real result, delivered after <see cref="ToolNoiseOptions.Latency"/>.</summary>
    Latency = 6,
}
