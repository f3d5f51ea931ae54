using Agentic.Core.Agents;
using Agentic.Rl.Rollouts;

namespace Agentic.Rl.Asynchronous;

/// <summary>
/// One rollout worker of an <see cref="InProcessRolloutBackend"/>: it holds its own copy of the policy, takes the
/// newest published weights before each batch and generates whole groups. Subclass it to generate rollouts another way;
/// the backend restarts a worker (creates a new one) after it throws and regenerates its in-flight requests.
/// </summary>
public abstract class RolloutWorker : IDisposable
{
    /// <summary>The weight version the worker's policy holds (-1 before the first sync).</summary>
    public abstract int PolicyVersion { get; }

    /// <summary>Takes the newest weights from <paramref name="weights"/> if they are newer than <see cref="PolicyVersion"/>.</summary>
    public abstract void SyncWeights(PolicyWeightStore weights);

    /// <summary>Generates every group of <paramref name="requests"/> with the current weights.</summary>
    /// <returns>One list of trajectories per request, in request order, each as long as the request's group.</returns>
    public abstract Task<IReadOnlyList<Trajectory>[]> GenerateAsync(IReadOnlyList<RolloutRequest> requests, CancellationToken cancellationToken);

    /// <summary>Releases the worker's policy copy.</summary>
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases resources.</summary>
    protected virtual void Dispose(bool disposing)
    {
    }
}
