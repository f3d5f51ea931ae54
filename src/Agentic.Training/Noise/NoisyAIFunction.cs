using Microsoft.Extensions.AI;
using Polly;

namespace Agentic.Training.Noise;

/// <summary>
/// A tool that injects noise into its own calls: HTTP-like failures, timeouts, incomplete results, misleading values,
/// redundant payloads, schema drift and latency (see <see cref="ToolNoiseKind"/>), as chaos middleware for any
/// <see cref="Microsoft.Extensions.AI"/> agent or as the tool noise of a training environment.
/// </summary>
/// <remarks>
/// <para>
/// Each call is decided independently through a Polly chaos strategy configured by <see cref="ToolNoiseOptions"/>; a
/// retry of a failed call draws again and can succeed, and <see cref="ToolNoiseOptions.MaxConsecutiveFailures"/> bounds
/// how often in a row it can fail. Failures and timeouts are returned, not thrown: the agent reads them as an in-band JSON
/// observation <c>{"error":{"status":..,"code":..,"message":..,"retryable":true}}</c> (a <see cref="System.Text.Json.JsonElement"/>).
/// </para>
/// <para>
/// Content kinds keep the shape of the inner result: a <see cref="System.Text.Json.JsonElement"/> stays one, a JSON string
/// stays a (still valid) JSON string, a <see cref="System.Text.Json.Nodes.JsonNode"/> stays a node, plain text stays text,
/// and any other object is serialized with the inner function's <see cref="AIFunction.JsonSerializerOptions"/> and
/// returned as a <see cref="System.Text.Json.JsonElement"/>. When the drawn kind cannot change the result (for example
/// schema drift of plain text) another content kind with a positive weight is tried; when none applies (a null result)
/// the result passes through and nothing is reported. Exceptions of the inner function propagate unchanged.
/// </para>
/// <para>Subclass and override <see cref="InvokeCoreAsync"/> to add kinds; the strategy itself is internal.</para>
/// </remarks>
public class NoisyAIFunction : DelegatingAIFunction
{
    private readonly ResiliencePipeline<object?> _pipeline;

    /// <summary>Initializes a noisy view of <paramref name="innerFunction"/>.</summary>
    /// <param name="innerFunction">The real tool.</param>
    /// <param name="options">The noise options; read once here (later changes to the weights are not seen).</param>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are invalid (for example an injection rate outside [0, 1]).</exception>
    public NoisyAIFunction(AIFunction innerFunction, ToolNoiseOptions options)
        : base(innerFunction)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        _pipeline = new ResiliencePipelineBuilder<object?>()
            .AddStrategy(_ => new ToolNoiseStrategy(options, innerFunction.Name, innerFunction.JsonSerializerOptions), options)
            .Build();
    }

    /// <summary>Gets the options this tool was created with.</summary>
    public ToolNoiseOptions Options { get; }

    /// <inheritdoc />
    protected override async ValueTask<object?> InvokeCoreAsync(AIFunctionArguments arguments, CancellationToken cancellationToken)
    {
        ResilienceContext context = ResilienceContextPool.Shared.Get(cancellationToken);
        try
        {
            return await _pipeline.ExecuteAsync(
                static async (ctx, state) => await state.Self.InvokeInnerAsync(state.Arguments, ctx.CancellationToken).ConfigureAwait(false),
                context,
                (Self: this, Arguments: arguments)).ConfigureAwait(false);
        }
        finally
        {
            ResilienceContextPool.Shared.Return(context);
        }
    }

    private ValueTask<object?> InvokeInnerAsync(AIFunctionArguments arguments, CancellationToken cancellationToken) =>
        base.InvokeCoreAsync(arguments, cancellationToken);
}

/// <summary>Extensions that add noise to tools.</summary>
public static class NoiseAIFunctionExtensions
{
    /// <summary>Wraps <paramref name="function"/> in a <see cref="NoisyAIFunction"/>.</summary>
    /// <param name="function">The real tool.</param>
    /// <param name="options">The noise options.</param>
    /// <returns>The noisy tool, with the same name, description and schema.</returns>
    /// <exception cref="ArgumentNullException">An argument is <see langword="null"/>.</exception>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are invalid.</exception>
    public static NoisyAIFunction WithNoise(this AIFunction function, ToolNoiseOptions options)
    {
        ArgumentNullException.ThrowIfNull(function);
        return new NoisyAIFunction(function, options);
    }
}
