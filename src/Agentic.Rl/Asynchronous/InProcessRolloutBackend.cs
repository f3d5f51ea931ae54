using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.Channels;
using Agentic.Rl.Modeling;
using Agentic.Rl.Rollouts;

namespace Agentic.Rl.Asynchronous;

/// <summary>
/// Rollout workers in this process, on <see cref="System.Threading.Channels"/>: requests wait in one queue, each worker
/// takes up to <see cref="InProcessRolloutBackendOptions.RequestsPerBatch"/> at a time, syncs the newest published
/// weights, generates the whole batch and writes one result per request. A worker that throws is disposed and replaced
/// by a new one from the factory; its in-flight requests go back to the queue (up to
/// <see cref="InProcessRolloutBackendOptions.MaxAttempts"/>, then a failed result is written), so no group is lost or
/// half-delivered.
/// </summary>
public sealed class InProcessRolloutBackend : RolloutBackend
{
    private readonly Func<int, RolloutWorker> _factory;
    private readonly Channel<RolloutRequest> _requests = Channel.CreateUnbounded<RolloutRequest>(new UnboundedChannelOptions { SingleWriter = false });
    private readonly Channel<RolloutResult> _results = Channel.CreateUnbounded<RolloutResult>(new UnboundedChannelOptions { SingleReader = true });
    private readonly ConcurrentDictionary<long, int> _attempts = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _workers;
    private int _faults;
    private int _restarts;
    private int _givenUp;

    /// <summary>Starts the workers.</summary>
    /// <param name="workerFactory">Creates the worker with the given id (called again to restart a worker that threw).</param>
    /// <param name="options">Options.</param>
    public InProcessRolloutBackend(Func<int, RolloutWorker> workerFactory, InProcessRolloutBackendOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(workerFactory);
        Options = options ?? new InProcessRolloutBackendOptions();
        Options.Validate();
        _factory = workerFactory;
        _workers = [.. Enumerable.Range(0, Options.Workers).Select(id => Task.Run(() => RunWorkerAsync(id, _stop.Token)))];
    }

    /// <summary>The backend's options.</summary>
    public InProcessRolloutBackendOptions Options { get; }

    /// <summary>The weights workers sync from.</summary>
    public PolicyWeightStore Weights { get; } = new();

    /// <summary>Worker failures so far.</summary>
    public int Faults => Volatile.Read(ref _faults);

    /// <summary>Workers created to replace one that threw.</summary>
    public int Restarts => Volatile.Read(ref _restarts);

    /// <summary>Requests given up after <see cref="InProcessRolloutBackendOptions.MaxAttempts"/>.</summary>
    public int GivenUp => Volatile.Read(ref _givenUp);

    /// <inheritdoc />
    public override ChannelReader<RolloutResult> Results => _results.Reader;

    /// <inheritdoc />
    public override void PublishWeights(MoeCausalLM policy, int version) => Weights.Publish(policy, version);

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">No weights were published yet.</exception>
    public override ValueTask SubmitAsync(RolloutRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        request.Validate();
        if (Weights.Version < 0) throw new InvalidOperationException("Publish the policy's weights before submitting rollout requests.");
        return _requests.Writer.WriteAsync(request, cancellationToken);
    }

    private async Task RunWorkerAsync(int id, CancellationToken stop)
    {
        RolloutWorker? worker = null;
        try
        {
            while (await _requests.Reader.WaitToReadAsync(stop).ConfigureAwait(false))
            {
                var batch = new List<RolloutRequest>(Options.RequestsPerBatch);
                while (batch.Count < Options.RequestsPerBatch && _requests.Reader.TryRead(out var next)) batch.Add(next);
                if (batch.Count == 0) continue;
                try
                {
                    worker ??= _factory(id);
                    worker.SyncWeights(Weights);
                    int version = worker.PolicyVersion;
                    var clock = Stopwatch.StartNew();
                    var groups = await worker.GenerateAsync(batch, stop).ConfigureAwait(false);
                    if (groups.Length != batch.Count) throw new InvalidOperationException($"Worker {id} returned {groups.Length} groups for {batch.Count} requests.");
                    for (int i = 0; i < batch.Count; i++)
                    {
                        if (groups[i].Count != batch[i].GroupSize)
                            throw new InvalidOperationException($"Worker {id} returned {groups[i].Count} trajectories for request {batch[i].Id} of {batch[i].GroupSize}.");
                    }
                    // Only whole, checked batches leave the worker.
                    double seconds = clock.Elapsed.TotalSeconds;
                    for (int i = 0; i < batch.Count; i++)
                    {
                        _attempts.TryRemove(batch[i].Id, out _);
                        await _results.Writer.WriteAsync(new RolloutResult(batch[i].Id, version, id, groups[i], seconds), stop).ConfigureAwait(false);
                    }
                }
                catch (OperationCanceledException) when (stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    Interlocked.Increment(ref _faults);
                    try { Options.OnFault?.Invoke(new RolloutFault(id, [.. batch.Select(r => r.Id)], ex)); } catch { /* a callback never kills a worker */ }
                    worker?.Dispose();
                    if (worker is not null) Interlocked.Increment(ref _restarts);
                    worker = null;
                    foreach (var request in batch)
                    {
                        int attempts = _attempts.AddOrUpdate(request.Id, 1, (_, a) => a + 1);
                        if (attempts < Options.MaxAttempts)
                        {
                            await _requests.Writer.WriteAsync(request, stop).ConfigureAwait(false);
                        }
                        else
                        {
                            _attempts.TryRemove(request.Id, out _);
                            Interlocked.Increment(ref _givenUp);
                            await _results.Writer.WriteAsync(new RolloutResult(request.Id, -1, id, [], 0, $"{ex.GetType().Name}: {ex.Message}"), stop).ConfigureAwait(false);
                        }
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        finally
        {
            worker?.Dispose();
        }
    }

    /// <inheritdoc />
    public override async ValueTask DisposeAsync()
    {
        if (_stop.IsCancellationRequested) return;
        _stop.Cancel();
        _requests.Writer.TryComplete();
        try
        {
            await Task.WhenAll(_workers).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
        }
        _results.Writer.TryComplete();
        Weights.Dispose();
        _stop.Dispose();
    }
}
