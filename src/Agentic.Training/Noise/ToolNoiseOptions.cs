using System.ComponentModel.DataAnnotations;
using Polly.Simmy;

namespace Agentic.Training.Noise;

/// <summary>
/// Options of tool noise (<see cref="NoisyAIFunction"/>), shaped like Polly's chaos strategy options: an
/// <see cref="ChaosStrategyOptions.InjectionRate"/> or <see cref="ChaosStrategyOptions.InjectionRateGenerator"/>,
/// <see cref="ChaosStrategyOptions.Enabled"/> or <see cref="ChaosStrategyOptions.EnabledGenerator"/>, a
/// <see cref="ChaosStrategyOptions.Randomizer"/> and an <see cref="OnNoiseInjected"/> callback.
/// </summary>
/// <remarks>
/// <para>
/// Decision order (Polly's): a cancelled call throws <see cref="OperationCanceledException"/> and is not noised; not
/// enabled → no injection; otherwise the rate is
/// clamped to [0, 1] and noise is injected when <c>Randomizer() &lt; rate</c>. The kind is then drawn from
/// <see cref="KindWeights"/>, and all further choices (status code, which field, which value) are drawn from the same
/// <see cref="ChaosStrategyOptions.Randomizer"/>, so one seed fixes every injection given the order of calls.
/// </para>
/// <para>
/// <b>Solvable by design.</b> Noise is decided per call and never remembered: a retry of the same call draws again and
/// can succeed. <see cref="MaxConsecutiveFailures"/> turns "can" into "will": after that many consecutive
/// <see cref="ToolNoiseKind.Failure"/>/<see cref="ToolNoiseKind.Timeout"/> injections on one tool, the next call is not
/// failed (another kind may still apply). Misleading values are also per call, so re-calling a tool cross-checks them.
/// </para>
/// <para>
/// The default <see cref="ChaosStrategyOptions.Randomizer"/> is a thread-safe <c>DeterministicRandom</c> seeded with 0
/// (unlike Polly's, which is not reproducible); set <see cref="Seed"/> or assign your own randomizer per rollout.
/// </para>
/// </remarks>
public sealed class ToolNoiseOptions : ChaosStrategyOptions
{
    private static readonly int[] DefaultStatusCodes = [401, 403, 408, 429, 500, 503];

    /// <summary>Initializes options with an injection rate of 0.1, equal kind weights and a randomizer seeded with 0.</summary>
    public ToolNoiseOptions()
    {
        Name = "ToolNoise";
        InjectionRate = 0.1;
        Randomizer = NoiseRandom.Create(0);
        foreach (ToolNoiseKind kind in Enum.GetValues<ToolNoiseKind>())
        {
            KindWeights[kind] = 1.0;
        }
    }

    /// <summary>
    /// Gets the relative weight of each kind; a kind with weight 0 (or absent) is never injected. Defaults to 1 for every kind.
    /// </summary>
    public IDictionary<ToolNoiseKind, double> KindWeights { get; } = new Dictionary<ToolNoiseKind, double>();

    /// <summary>
    /// Gets or sets the HTTP-like status codes a <see cref="ToolNoiseKind.Failure"/> picks from (uniformly).
    /// Defaults to 401, 403, 408, 429, 500 and 503. Unknown codes get a generic message.
    /// </summary>
    [Required]
    public IList<int> FailureStatusCodes { get; set; } = [.. DefaultStatusCodes];

    /// <summary>Gets or sets the delay of a <see cref="ToolNoiseKind.Latency"/> injection. Defaults to 200 ms.</summary>
    public TimeSpan Latency { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Gets or sets how long a <see cref="ToolNoiseKind.Timeout"/> waits before returning its error. Defaults to zero
    /// (fail at once), which keeps training fast; set it to exercise the agent loop's own tool timeout.
    /// </summary>
    public TimeSpan TimeoutDelay { get; set; } = TimeSpan.Zero;

    /// <summary>Gets or sets the time source of <see cref="Latency"/> and <see cref="TimeoutDelay"/>. Defaults to <see cref="TimeProvider.System"/>.</summary>
    [Required]
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>
    /// Gets or sets how many consecutive failure/timeout injections one tool may suffer before a call is guaranteed not to
    /// fail. Defaults to 2 (so the third attempt of a retried call never fails); <see langword="null"/> removes the bound,
    /// which keeps tasks solvable only with probability (rate below 1).
    /// </summary>
    [Range(0, int.MaxValue)]
    public int? MaxConsecutiveFailures { get; set; } = 2;

    /// <summary>Gets or sets the callback invoked after every injection (for example to record it in the trajectory).</summary>
    public Func<NoiseInjectedArguments, ValueTask>? OnNoiseInjected { get; set; }

    /// <summary>Replaces the <see cref="ChaosStrategyOptions.Randomizer"/> with a thread-safe <c>DeterministicRandom</c> seeded with <paramref name="seed"/>.</summary>
    /// <param name="seed">The seed.</param>
    /// <returns>These options, for chaining.</returns>
    public ToolNoiseOptions Seed(ulong seed)
    {
        Randomizer = NoiseRandom.Create(seed);
        return this;
    }

    /// <summary>
    /// Creates the options of a named level. Rates and kinds:
    /// <list type="bullet">
    /// <item><see cref="NoiseLevel.None"/>: disabled, rate 0.</item>
    /// <item><see cref="NoiseLevel.Low"/>: rate 0.10; failure (429, 503 only) 2, latency 1, redundant payload 1.</item>
    /// <item><see cref="NoiseLevel.Medium"/>: rate 0.20; failure (all codes) 2, timeout 1, incomplete result 2, latency 1, redundant payload 1.</item>
    /// <item><see cref="NoiseLevel.High"/>: rate 0.35; failure 2, timeout 1, incomplete result 2, misleading value 1, redundant payload 1, schema drift 1, latency 1.</item>
    /// </list>
    /// Latency is 50 ms and <see cref="TimeoutDelay"/> zero at every level (training throughput); <see cref="MaxConsecutiveFailures"/> is 2.
    /// </summary>
    /// <param name="level">The level.</param>
    /// <param name="seed">The seed of the randomizer.</param>
    /// <returns>New options.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="level"/> is not a defined level.</exception>
    public static ToolNoiseOptions ForLevel(NoiseLevel level, ulong seed = 0)
    {
        var options = new ToolNoiseOptions { Latency = TimeSpan.FromMilliseconds(50) }.Seed(seed);
        options.KindWeights.Clear();
        switch (level)
        {
            case NoiseLevel.None:
                options.Enabled = false;
                options.InjectionRate = 0;
                break;
            case NoiseLevel.Low:
                options.InjectionRate = 0.10;
                options.FailureStatusCodes = [429, 503];
                options.KindWeights[ToolNoiseKind.Failure] = 2;
                options.KindWeights[ToolNoiseKind.Latency] = 1;
                options.KindWeights[ToolNoiseKind.RedundantPayload] = 1;
                break;
            case NoiseLevel.Medium:
                options.InjectionRate = 0.20;
                options.KindWeights[ToolNoiseKind.Failure] = 2;
                options.KindWeights[ToolNoiseKind.Timeout] = 1;
                options.KindWeights[ToolNoiseKind.IncompleteResult] = 2;
                options.KindWeights[ToolNoiseKind.Latency] = 1;
                options.KindWeights[ToolNoiseKind.RedundantPayload] = 1;
                break;
            case NoiseLevel.High:
                options.InjectionRate = 0.35;
                options.KindWeights[ToolNoiseKind.Failure] = 2;
                options.KindWeights[ToolNoiseKind.Timeout] = 1;
                options.KindWeights[ToolNoiseKind.IncompleteResult] = 2;
                options.KindWeights[ToolNoiseKind.MisleadingValue] = 1;
                options.KindWeights[ToolNoiseKind.RedundantPayload] = 1;
                options.KindWeights[ToolNoiseKind.SchemaDrift] = 1;
                options.KindWeights[ToolNoiseKind.Latency] = 1;
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(level), level, "Unknown noise level.");
        }

        return options;
    }
}
