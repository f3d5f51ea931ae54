using Agentic.Core.Agents;
using Microsoft.Extensions.AI;

namespace Agentic.Training.Noise;

/// <summary>
/// Wraps any <see cref="AgentEnvironment"/> so that its tools answer with injected noise
/// (<see cref="ToolNoiseOptions"/>): every injection is recorded as a <c>noise:tool:{kind}</c> trajectory event. The
/// task, user and reward are the inner environment's, so a noisy task is judged exactly like a clean one.
/// </summary>
public sealed class NoisyEnvironment : AgentEnvironment
{
    private readonly AgentEnvironment _inner;
    private readonly IReadOnlyList<AIFunction> _tools;
    private readonly List<NoiseInjection> _pending = [];

    /// <summary>Creates the wrapper; <paramref name="toolNoise"/>'s callback is chained, not replaced.</summary>
    public NoisyEnvironment(AgentEnvironment inner, ToolNoiseOptions toolNoise)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentNullException.ThrowIfNull(toolNoise);
        _inner = inner;
        var userCallback = toolNoise.OnNoiseInjected;
        toolNoise.OnNoiseInjected = async args =>
        {
            lock (_pending) _pending.Add(args.Injection);
            if (userCallback is not null) await userCallback(args).ConfigureAwait(false);
        };
        _tools = inner.Tools.Select(t => (AIFunction)t.WithNoise(toolNoise)).ToArray();
    }

    /// <summary>Every injection so far in this environment's current episode.</summary>
    public IReadOnlyList<NoiseInjection> Injections { get; private set; } = [];

    /// <inheritdoc />
    public override IReadOnlyList<AIFunction> Tools => _tools;

    /// <inheritdoc />
    public override ValueTask<IReadOnlyList<ChatMessage>> ResetAsync(AgentTask task, ulong seed, CancellationToken cancellationToken = default)
    {
        lock (_pending) _pending.Clear();
        Injections = [];
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
        return [.. _inner.TakeEvents(turn), .. taken.Select(i => new TrajectoryEvent(turn, $"noise:tool:{i.Kind}", $"{i.Target}: {i.Detail}"))];
    }
}
