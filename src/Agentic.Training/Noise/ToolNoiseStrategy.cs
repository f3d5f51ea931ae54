using System.Globalization;
using Polly;
using Polly.Simmy;

namespace Agentic.Training.Noise;

/// <summary>
/// The Polly chaos strategy behind <see cref="NoisyAIFunction"/>: Polly decides whether to inject
/// (<see cref="ChaosStrategy{T}.ShouldInjectAsync"/>), this strategy decides what.
/// </summary>
/// <remarks>
/// Polly's built-in outcome strategy replaces a result without running the call, which fits failures and timeouts but
/// not the kinds that edit the real result; hence one strategy for every kind, on Polly's decision logic.
/// </remarks>
internal sealed class ToolNoiseStrategy : ChaosStrategy<object?>
{
    private static readonly ToolNoiseKind[] TransformKinds =
        [ToolNoiseKind.IncompleteResult, ToolNoiseKind.MisleadingValue, ToolNoiseKind.RedundantPayload, ToolNoiseKind.SchemaDrift];

    private readonly ToolNoiseOptions _options;
    private readonly Func<double> _random;
    private readonly string _toolName;
    private readonly System.Text.Json.JsonSerializerOptions _serializerOptions;
    private readonly KeyValuePair<ToolNoiseKind, double>[] _weights;
    private readonly Lock _gate = new();
    private int _calls;
    private int _consecutiveFailures;

    public ToolNoiseStrategy(ToolNoiseOptions options, string toolName, System.Text.Json.JsonSerializerOptions serializerOptions)
        : base(options)
    {
        _options = options;
        _random = options.Randomizer;
        _toolName = toolName;
        _serializerOptions = serializerOptions;
        _weights = [.. Enum.GetValues<ToolNoiseKind>().Select(k => new KeyValuePair<ToolNoiseKind, double>(k, options.KindWeights.TryGetValue(k, out double w) ? w : 0))];
    }

    protected override async ValueTask<Outcome<object?>> ExecuteCore<TState>(
        Func<ResilienceContext, TState, ValueTask<Outcome<object?>>> callback, ResilienceContext context, TState state)
    {
        int turn = Interlocked.Increment(ref _calls) - 1;
        context.CancellationToken.ThrowIfCancellationRequested();
        if (!await ShouldInjectAsync(context).ConfigureAwait(false) || !TryDrawKind(out ToolNoiseKind kind))
        {
            ResetFailures();
            return await callback(context, state).ConfigureAwait(false);
        }

        switch (kind)
        {
            case ToolNoiseKind.Failure:
            {
                var codes = _options.FailureStatusCodes;
                int status = codes.Count == 0 ? 503 : codes[NoiseRandom.NextInt(_random, codes.Count)];
                var (code, message) = ToolResultNoise.Describe(status);
                await ReportAsync(kind, turn, $"HTTP {status.ToString(CultureInfo.InvariantCulture)} {code}", context).ConfigureAwait(false);
                return Outcome.FromResult<object?>(ToolResultNoise.Error(status, code, message));
            }

            case ToolNoiseKind.Timeout:
            {
                await DelayAsync(_options.TimeoutDelay, context.CancellationToken).ConfigureAwait(false);
                string message = $"The call to '{_toolName}' timed out after {_options.TimeoutDelay.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)} ms. Retry the call.";
                await ReportAsync(kind, turn, "timed out", context).ConfigureAwait(false);
                return Outcome.FromResult<object?>(ToolResultNoise.Error(408, "timeout", message));
            }

            case ToolNoiseKind.Latency:
                return await DelayedAsync(callback, context, state, turn).ConfigureAwait(false);
        }

        var outcome = await callback(context, state).ConfigureAwait(false);
        if (outcome.Exception is not null)
        {
            return outcome;
        }

        var payload = ToolResultPayload.Open(outcome.Result, _serializerOptions);
        string? detail = Apply(kind, payload);
        if (detail is null)
        {
            // The drawn kind does not fit this result: try the other content kinds that have a weight, in a fixed order.
            foreach (ToolNoiseKind other in TransformKinds)
            {
                if (other != kind && _weights[(int)other].Value > 0 && (detail = Apply(other, payload)) is not null)
                {
                    kind = other;
                    break;
                }
            }
        }

        if (detail is null)
        {
            return outcome; // Nothing applies (for example a null result): the call passes through unchanged.
        }

        await ReportAsync(kind, turn, detail, context).ConfigureAwait(false);
        return Outcome.FromResult<object?>(payload.Close());
    }

    private async ValueTask<Outcome<object?>> DelayedAsync<TState>(
        Func<ResilienceContext, TState, ValueTask<Outcome<object?>>> callback, ResilienceContext context, TState state, int turn)
    {
        await DelayAsync(_options.Latency, context.CancellationToken).ConfigureAwait(false);
        await ReportAsync(ToolNoiseKind.Latency, turn, $"delayed by {_options.Latency.TotalMilliseconds.ToString("0", CultureInfo.InvariantCulture)} ms", context).ConfigureAwait(false);
        return await callback(context, state).ConfigureAwait(false);
    }

    private string? Apply(ToolNoiseKind kind, ToolResultPayload payload) => kind switch
    {
        ToolNoiseKind.IncompleteResult => ToolResultNoise.Incomplete(payload, _random),
        ToolNoiseKind.MisleadingValue => ToolResultNoise.Misleading(payload, _random),
        ToolNoiseKind.RedundantPayload => ToolResultNoise.Redundant(payload, _random),
        ToolNoiseKind.SchemaDrift => ToolResultNoise.SchemaDrift(payload, _random),
        _ => null,
    };

    private bool TryDrawKind(out ToolNoiseKind kind)
    {
        lock (_gate)
        {
            bool capped = _options.MaxConsecutiveFailures is int max && _consecutiveFailures >= max;
            var candidates = capped
                ? _weights.Where(w => w.Key is not (ToolNoiseKind.Failure or ToolNoiseKind.Timeout)).ToArray()
                : _weights;
            if (!NoiseRandom.TryPickWeighted(_random, candidates, out kind))
            {
                _consecutiveFailures = 0;
                return false;
            }

            _consecutiveFailures = kind is ToolNoiseKind.Failure or ToolNoiseKind.Timeout ? _consecutiveFailures + 1 : 0;
            return true;
        }
    }

    private void ResetFailures()
    {
        lock (_gate)
        {
            _consecutiveFailures = 0;
        }
    }

    private Task DelayAsync(TimeSpan delay, CancellationToken cancellationToken) =>
        delay > TimeSpan.Zero ? Task.Delay(delay, _options.TimeProvider, cancellationToken) : Task.CompletedTask;

    private ValueTask ReportAsync(ToolNoiseKind kind, int turn, string detail, ResilienceContext context)
    {
        var callback = _options.OnNoiseInjected;
        return callback is null
            ? ValueTask.CompletedTask
            : callback(new NoiseInjectedArguments(new NoiseInjection(NoiseSource.Tool, kind.ToString(), _toolName, turn, detail), context.CancellationToken));
    }
}
