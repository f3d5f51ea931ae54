using Polly.Simmy;

namespace Agentic.Training.Noise;

/// <summary>
/// Options of user noise (<see cref="NoisyUserChatClient"/>), shaped like Polly's chaos strategy options
/// (<see cref="ChaosStrategyOptions.InjectionRate"/>, <see cref="ChaosStrategyOptions.Enabled"/>, their generators, a
/// <see cref="ChaosStrategyOptions.Randomizer"/>) plus kind weights, the task's slots and an <see cref="OnNoiseInjected"/> callback.
/// </summary>
/// <remarks>
/// <para>
/// Decision order per simulated-user message (Polly's): cancelled, enabled, then inject when <c>Randomizer() &lt; rate</c>
/// (rate clamped to [0, 1]); the kind is drawn from <see cref="KindWeights"/> among the kinds that apply to the message
/// (for example self-correction needs a slot value in it). All choices use the one randomizer, so one seed fixes the noise.
/// </para>
/// <para>
/// <see cref="Slots"/> names the facts of the user's task (slot name → value, for example <c>"order id" → "A-1042"</c>).
/// They are what omission withholds, what ambiguity and dropped information refer to, and what typos never touch, so
/// the facts the agent needs stay recoverable. Without slots only typos, redundancy, topic shift and goal ambiguity apply.
/// </para>
/// <para>The default randomizer is a thread-safe <c>DeterministicRandom</c> seeded with 0; see <see cref="Seed"/>.</para>
/// </remarks>
public sealed class UserNoiseOptions : ChaosStrategyOptions
{
    /// <summary>Initializes options with an injection rate of 0.1, equal kind weights and a randomizer seeded with 0.</summary>
    public UserNoiseOptions()
    {
        Name = "UserNoise";
        InjectionRate = 0.1;
        Randomizer = NoiseRandom.Create(0);
        foreach (UserNoiseKind kind in Enum.GetValues<UserNoiseKind>())
        {
            KindWeights[kind] = 1.0;
        }
    }

    /// <summary>Gets the relative weight of each kind; a kind with weight 0 (or absent) is never injected. Defaults to 1 for every kind.</summary>
    public IDictionary<UserNoiseKind, double> KindWeights { get; } = new Dictionary<UserNoiseKind, double>();

    /// <summary>Gets the task's facts: slot name (as an agent would ask for it) → value (as the user would type it). Keys are case-insensitive.</summary>
    public IDictionary<string, string> Slots { get; } = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);

    /// <summary>Gets or sets the unrelated asides of <see cref="UserNoiseKind.TopicShift"/>.</summary>
    public IList<string> Asides { get; set; } =
    [
        "By the way, the weather here has been awful all week.",
        "Sorry, my cat just walked over the keyboard.",
        "Unrelated, but do you know any good pizza places?",
        "I'm typing this on my phone on the train, so bear with me.",
        "Oh, and my neighbour says hi, not that it matters.",
        "I also need to remember to buy milk later.",
    ];

    /// <summary>Gets or sets the callback invoked after every injection (for example to record it in the trajectory).</summary>
    public Func<NoiseInjectedArguments, ValueTask>? OnNoiseInjected { get; set; }

    /// <summary>Replaces the <see cref="ChaosStrategyOptions.Randomizer"/> with a thread-safe <c>DeterministicRandom</c> seeded with <paramref name="seed"/>.</summary>
    /// <param name="seed">The seed.</param>
    /// <returns>These options, for chaining.</returns>
    public UserNoiseOptions Seed(ulong seed)
    {
        Randomizer = NoiseRandom.Create(seed);
        return this;
    }

    /// <summary>
    /// Creates the options of a named level (add the task's <see cref="Slots"/> afterwards). Rates and kind weights:
    /// <list type="bullet">
    /// <item><see cref="NoiseLevel.None"/>: disabled, rate 0.</item>
    /// <item><see cref="NoiseLevel.Low"/>: rate 0.10; typos 2, redundancy 1.</item>
    /// <item><see cref="NoiseLevel.Medium"/>: rate 0.20; typos 2, redundancy 1, self-correction 1, topic shift 1, referential ambiguity 1.</item>
    /// <item><see cref="NoiseLevel.High"/>: rate 0.35; typos 2, redundancy 1, self-correction 1, topic shift 1, referential ambiguity 1,
    /// goal ambiguity 1, context omission 2, information dropped 1.</item>
    /// </list>
    /// </summary>
    /// <param name="level">The level.</param>
    /// <param name="seed">The seed of the randomizer.</param>
    /// <returns>New options.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="level"/> is not a defined level.</exception>
    public static UserNoiseOptions ForLevel(NoiseLevel level, ulong seed = 0)
    {
        var options = new UserNoiseOptions().Seed(seed);
        options.KindWeights.Clear();
        if (level is < NoiseLevel.None or > NoiseLevel.High)
        {
            throw new ArgumentOutOfRangeException(nameof(level), level, "Unknown noise level.");
        }

        if (level == NoiseLevel.None)
        {
            options.Enabled = false;
            options.InjectionRate = 0;
            return options;
        }

        options.InjectionRate = level switch { NoiseLevel.Low => 0.10, NoiseLevel.Medium => 0.20, _ => 0.35 };
        options.KindWeights[UserNoiseKind.Typos] = 2;
        options.KindWeights[UserNoiseKind.Redundancy] = 1;
        if (level >= NoiseLevel.Medium)
        {
            options.KindWeights[UserNoiseKind.SelfCorrection] = 1;
            options.KindWeights[UserNoiseKind.TopicShift] = 1;
            options.KindWeights[UserNoiseKind.ReferentialAmbiguity] = 1;
        }

        if (level == NoiseLevel.High)
        {
            options.KindWeights[UserNoiseKind.GoalAmbiguity] = 1;
            options.KindWeights[UserNoiseKind.ContextOmission] = 2;
            options.KindWeights[UserNoiseKind.InformationDropped] = 1;
        }

        return options;
    }
}
