using Agentic.Core.Agents;
using Agentic.Training.Tasks;
using Microsoft.Extensions.AI;

namespace Agentic.Training.Noise;

/// <summary>
/// Wraps any <see cref="AgentEnvironment"/> so that its tools answer with injected noise (<see cref="ToolNoiseOptions"/>:
/// its <see cref="AgentEnvironment.Tools"/>, and the tools it runs for tags when it is an <see cref="ITagToolEnvironment"/>)
/// and, when it has a simulated user (<see cref="ISimulatedUserEnvironment"/>), so that the user's messages are noisy
/// (<see cref="UserNoiseOptions"/>, through a <see cref="NoisyUserChatClient"/> whose slots are the task's
/// <see cref="ISimulatedUserEnvironment.GetUserSlots"/>). Every injection is recorded as a <c>noise:tool:{kind}</c> or
/// <c>noise:user:{kind}</c> trajectory event. The task, user and reward are the inner environment's, so a noisy task is
/// judged exactly like a clean one.
/// </summary>
/// <remarks>
/// User noise wraps the inner environment's <see cref="ISimulatedUserEnvironment.SimulatedUser"/> in place, once, when
/// the wrapper is created (tag tools likewise); on environments without a simulated user it has no effect (see <see cref="HasUserNoise"/>).
/// </remarks>
public sealed class NoisyEnvironment : AgentEnvironment
{
    /// <summary>Added to a seed to derive the user-noise seed in <see cref="ForLevel"/>, so tool and user draws are independent.</summary>
    private const ulong UserSeedOffset = 0x9E3779B97F4A7C15UL;

    private readonly AgentEnvironment _inner;
    private readonly IReadOnlyList<AIFunction> _tools;
    private readonly List<NoiseInjection> _pending = [];
    private readonly NoisyUserChatClient? _user;

    /// <summary>Creates the wrapper with tool noise only; <paramref name="toolNoise"/>'s callback is chained, not replaced.</summary>
    /// <param name="inner">The environment.</param>
    /// <param name="toolNoise">The tool noise.</param>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    public NoisyEnvironment(AgentEnvironment inner, ToolNoiseOptions toolNoise)
        : this(inner, toolNoise ?? throw new ArgumentNullException(nameof(toolNoise)), null)
    {
    }

    /// <summary>Creates the wrapper with tool noise, user noise or both; the options' callbacks are chained, not replaced.</summary>
    /// <param name="inner">The environment.</param>
    /// <param name="toolNoise">The tool noise, or <see langword="null"/> for clean tools.</param>
    /// <param name="userNoise">
    /// The user noise, or <see langword="null"/> for a clean user. Its <see cref="UserNoiseOptions.Slots"/> are replaced by
    /// the task's at every reset, so one options instance serves one wrapper.
    /// </param>
    /// <exception cref="ArgumentNullException"><paramref name="inner"/> is <see langword="null"/>.</exception>
    public NoisyEnvironment(AgentEnvironment inner, ToolNoiseOptions? toolNoise, UserNoiseOptions? userNoise)
    {
        ArgumentNullException.ThrowIfNull(inner);
        _inner = inner;
        _tools = inner.Tools;
        if (toolNoise is not null)
        {
            HasToolNoise = inner.Tools.Count > 0 || inner is ITagToolEnvironment { TagTools.Count: > 0 };
            toolNoise.OnNoiseInjected = Record(toolNoise.OnNoiseInjected);
            _tools = inner.Tools.Select(t => (AIFunction)t.WithNoise(toolNoise)).ToArray();
            if (inner is ITagToolEnvironment tagged)
            {
                for (int i = 0; i < tagged.TagTools.Count; i++) tagged.TagTools[i] = tagged.TagTools[i].WithNoise(toolNoise);
            }
        }

        if (userNoise is not null && inner is ISimulatedUserEnvironment withUser)
        {
            userNoise.OnNoiseInjected = Record(userNoise.OnNoiseInjected);
            _user = new NoisyUserChatClient(withUser.SimulatedUser, userNoise);
            withUser.SimulatedUser = _user;
        }
    }

    /// <summary>
    /// Creates the wrapper with both tool and user noise of <paramref name="level"/> (<see cref="ToolNoiseOptions.ForLevel"/>,
    /// <see cref="UserNoiseOptions.ForLevel"/>); the user noise's randomizer gets a seed derived from <paramref name="seed"/>.
    /// </summary>
    /// <param name="inner">The environment.</param>
    /// <param name="level">The noise level.</param>
    /// <param name="seed">The seed of the episode's noise.</param>
    /// <returns>The wrapper.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="inner"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="level"/> is not a defined level.</exception>
    public static NoisyEnvironment ForLevel(AgentEnvironment inner, NoiseLevel level, ulong seed) =>
        new(inner, ToolNoiseOptions.ForLevel(level, seed), UserNoiseOptions.ForLevel(level, UserSeed(seed)));

    /// <summary>The seed of the user noise that goes with the tool-noise seed <paramref name="seed"/>.</summary>
    /// <param name="seed">The tool-noise seed.</param>
    /// <returns>A different seed, derived deterministically.</returns>
    public static ulong UserSeed(ulong seed) => unchecked(seed + UserSeedOffset);

    /// <summary>Gets whether the simulated user of the inner environment is wrapped with user noise.</summary>
    public bool HasUserNoise => _user is not null;

    /// <summary>Gets whether tool noise is applied to at least one tool (a listed tool or a tag tool) of the inner environment.</summary>
    public bool HasToolNoise { get; }

    /// <summary>
    /// Gets whether the wrapper can inject anything (<see cref="HasToolNoise"/> or <see cref="HasUserNoise"/>); when false,
    /// every episode runs exactly as in the inner environment (for example a suite without tools or a simulated user).
    /// </summary>
    public bool CanInject => HasToolNoise || HasUserNoise;

    /// <summary>Every injection so far in this environment's current episode.</summary>
    public IReadOnlyList<NoiseInjection> Injections { get; private set; } = [];

    /// <inheritdoc />
    public override IReadOnlyList<AIFunction> Tools => _tools;

    /// <inheritdoc />
    public override ValueTask<IReadOnlyList<ChatMessage>> ResetAsync(AgentTask task, ulong seed, CancellationToken cancellationToken = default)
    {
        lock (_pending) _pending.Clear();
        Injections = [];
        if (_user is not null)
        {
            var slots = ((ISimulatedUserEnvironment)_inner).GetUserSlots(task);
            _user.Options.Slots.Clear();
            foreach (var (slot, value) in slots) _user.Options.Slots[slot] = value;
            _user.ResetConversation();
        }
        return _inner.ResetAsync(task, seed, cancellationToken);
    }

    /// <inheritdoc />
    public override ValueTask<EnvironmentStep> StepAsync(AgentAction action, CancellationToken cancellationToken = default) => _inner.StepAsync(action, cancellationToken);

    /// <inheritdoc />
    public override ValueTask<EnvironmentStep> TruncateAsync(CancellationToken cancellationToken = default) => _inner.TruncateAsync(cancellationToken);

    /// <inheritdoc />
    public override IReadOnlyList<TrajectoryEvent> TakeEvents(int turn)
    {
        NoiseInjection[] taken;
        lock (_pending)
        {
            taken = [.. _pending];
            _pending.Clear();
        }
        Injections = [.. Injections, .. taken];
        return [.. _inner.TakeEvents(turn), .. taken.Select(i => new TrajectoryEvent(turn, EventKind(i), $"{i.Target}: {i.Detail}"))];
    }

    /// <summary>The trajectory event kind of an injection: <c>noise:tool:{kind}</c> or <c>noise:user:{kind}</c>.</summary>
    /// <param name="injection">The injection.</param>
    /// <returns>The event kind.</returns>
    public static string EventKind(NoiseInjection injection)
    {
        ArgumentNullException.ThrowIfNull(injection);
        return $"noise:{(injection.Source == NoiseSource.User ? "user" : "tool")}:{injection.Kind}";
    }

    private Func<NoiseInjectedArguments, ValueTask> Record(Func<NoiseInjectedArguments, ValueTask>? chained) => async args =>
    {
        lock (_pending) _pending.Add(args.Injection);
        if (chained is not null) await chained(args).ConfigureAwait(false);
    };
}
