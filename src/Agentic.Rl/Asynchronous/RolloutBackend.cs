using System.Threading.Channels;
using Agentic.Rl.Modeling;
using Agentic.Rl.Rollouts;

namespace Agentic.Rl.Asynchronous;

/// <summary>
/// Where an <see cref="AsyncAgentRlTrainer"/> gets its rollouts: weights in (<see cref="PublishWeights"/>), requests in
/// (<see cref="SubmitAsync"/>), versioned whole-group results out (<see cref="Results"/>). The contract is what a
/// multi-machine backend implements too: requests are self-contained (<see cref="RolloutRequest"/> carries every seed),
/// results name the weight version that produced them, and the trainer is idempotent by request id, so a backend may
/// deliver a result more than once (for example after a retry) without it being counted twice.
/// </summary>
public abstract class RolloutBackend : IAsyncDisposable
{
    /// <summary>Publishes the policy's current weights as <paramref name="version"/>; workers use them for their next batch.</summary>
    public abstract void PublishWeights(MoeCausalLM policy, int version);

    /// <summary>Queues one group for generation.</summary>
    public abstract ValueTask SubmitAsync(RolloutRequest request, CancellationToken cancellationToken = default);

    /// <summary>Finished groups, in the order they finish.</summary>
    public abstract ChannelReader<RolloutResult> Results { get; }

    /// <summary>Stops the workers (in-flight work is abandoned) and releases resources.</summary>
    public abstract ValueTask DisposeAsync();
}
