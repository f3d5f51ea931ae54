namespace Agentic.Training.Noise;

/// <summary>Where a noise injection happened.</summary>
public enum NoiseSource
{
    /// <summary>A tool result (see <see cref="NoisyAIFunction"/>).</summary>
    Tool = 0,

    /// <summary>A simulated user's message (see <see cref="NoisyUserChatClient"/>).</summary>
    User = 1,
}

/// <summary>
/// One recorded noise injection, as handed to the <c>OnNoiseInjected</c> callbacks of <see cref="ToolNoiseOptions"/>
/// and <see cref="UserNoiseOptions"/>; a trajectory stores the list of these next to its messages.
/// </summary>
/// <param name="Source">Whether a tool result or a user message was changed.</param>
/// <param name="Kind">The kind: the name of a <see cref="ToolNoiseKind"/> or <see cref="UserNoiseKind"/> member.</param>
/// <param name="Target">The tool name, or the conversation id of the simulated user (<c>"user"</c> when it has none).</param>
/// <param name="Turn">The zero-based call index of that tool, or the zero-based turn of that simulated user.</param>
/// <param name="Detail">A short human-readable description of what was changed.</param>
public sealed record NoiseInjection(NoiseSource Source, string Kind, string Target, int Turn, string Detail);

/// <summary>The arguments of an <c>OnNoiseInjected</c> callback.</summary>
/// <remarks>A struct, in the manner of Polly's <c>OnXxxInjectedArguments</c>, so fields can be added without breaking callers.</remarks>
public readonly struct NoiseInjectedArguments
{
    /// <summary>Initializes the arguments.</summary>
    /// <param name="injection">The injection that just happened.</param>
    /// <param name="cancellationToken">The token of the call that was changed.</param>
    public NoiseInjectedArguments(NoiseInjection injection, CancellationToken cancellationToken)
    {
        Injection = injection;
        CancellationToken = cancellationToken;
    }

    /// <summary>Gets the injection that just happened.</summary>
    public NoiseInjection Injection { get; }

    /// <summary>Gets the cancellation token of the call that was changed.</summary>
    public CancellationToken CancellationToken { get; }
}
