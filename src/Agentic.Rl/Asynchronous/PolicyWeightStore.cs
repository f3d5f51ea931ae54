using Agentic.Rl.Modeling;
using static TorchSharp.torch;

namespace Agentic.Rl.Asynchronous;

/// <summary>
/// The latest published weights of a policy and their version, shared between a trainer and its in-process rollout
/// workers: the trainer publishes after each update, each worker copies the weights into its own model copy before it
/// starts a batch (so every trajectory comes from exactly one version). Thread-safe; copies are made under a lock into
/// tensors allocated once.
/// </summary>
public sealed class PolicyWeightStore : IDisposable
{
    private readonly object _gate = new();
    private Dictionary<string, Tensor>? _tensors;

    /// <summary>Version of the published weights (-1 before the first <see cref="Publish"/>).</summary>
    public int Version
    {
        get { lock (_gate) return _version; }
    }

    private int _version = -1;

    /// <summary>Publishes the weights (parameters and buffers) of <paramref name="policy"/> as <paramref name="version"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="version"/> is not newer than the published one.</exception>
    /// <exception cref="ArgumentException">The policy's tensors do not match the weights published before.</exception>
    public void Publish(MoeCausalLM policy, int version)
    {
        ArgumentNullException.ThrowIfNull(policy);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(version, _version);
            using var noGrad = no_grad();
            var state = policy.state_dict();
            if (_tensors is null)
            {
                _tensors = state.ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone().DetachFromDisposeScope(), StringComparer.Ordinal);
            }
            else
            {
                if (state.Count != _tensors.Count) throw new ArgumentException("The policy's tensors differ from the published ones.", nameof(policy));
                foreach (var (name, tensor) in state)
                {
                    if (!_tensors.TryGetValue(name, out var target)) throw new ArgumentException($"Tensor '{name}' was not published before.", nameof(policy));
                    target.copy_(tensor);
                }
            }
            _version = version;
        }
    }

    /// <summary>Copies the published weights into <paramref name="target"/> when they are newer than <paramref name="loadedVersion"/>.</summary>
    /// <param name="target">The worker's model (same configuration as the published policy).</param>
    /// <param name="loadedVersion">The version <paramref name="target"/> holds; updated when newer weights were copied.</param>
    /// <returns>Whether weights were copied.</returns>
    /// <exception cref="InvalidOperationException">Nothing was published yet.</exception>
    public bool TryLoad(MoeCausalLM target, ref int loadedVersion)
    {
        ArgumentNullException.ThrowIfNull(target);
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_tensors is null) throw new InvalidOperationException("No weights have been published yet.");
            if (_version <= loadedVersion) return false;
            using var noGrad = no_grad();
            foreach (var (name, tensor) in target.state_dict())
            {
                if (!_tensors.TryGetValue(name, out var source)) throw new ArgumentException($"Tensor '{name}' is not in the published weights.", nameof(target));
                tensor.copy_(source);
            }
            loadedVersion = _version;
            return true;
        }
    }

    private bool _disposed;

    /// <inheritdoc />
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed) return;
            _disposed = true;
            if (_tensors is not null) foreach (var t in _tensors.Values) t.Dispose();
            _tensors = null;
        }
    }
}
