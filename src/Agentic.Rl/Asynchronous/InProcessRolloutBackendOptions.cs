using System.ComponentModel.DataAnnotations;

namespace Agentic.Rl.Asynchronous;

/// <summary>Options of <see cref="InProcessRolloutBackend"/>.</summary>
public sealed class InProcessRolloutBackendOptions
{
    /// <summary>Rollout workers running concurrently (each with its own policy copy). Default 2.</summary>
    [Range(1, 256)] public int Workers { get; set; } = 2;

    /// <summary>Most requests (groups) a worker generates in one batch. Default 1, so one long group never holds others back.</summary>
    [Range(1, 4096)] public int RequestsPerBatch { get; set; } = 1;

    /// <summary>Attempts of a request before the backend gives it up (a worker that throws is restarted and the request
    /// regenerated). Default 3.</summary>
    [Range(1, 100)] public int MaxAttempts { get; set; } = 3;

    /// <summary>Called (on a worker's thread) when a worker throws; the worker is then restarted.</summary>
    public Action<RolloutFault>? OnFault { get; set; }

    /// <summary>Throws <see cref="ValidationException"/> when an option is out of range.</summary>
    public void Validate() => Validator.ValidateObject(this, new ValidationContext(this), validateAllProperties: true);
}

/// <summary>A worker failure.</summary>
/// <param name="WorkerId">The worker.</param>
/// <param name="RequestIds">The requests it was generating (regenerated, or given up after their last attempt).</param>
/// <param name="Error">What it threw.</param>
public sealed record RolloutFault(int WorkerId, IReadOnlyList<long> RequestIds, Exception Error);
