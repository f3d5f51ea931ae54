using System.Diagnostics;
using Agentic.Core.Agents;
using Agentic.Rl.Advantages;
using Agentic.Rl.Modeling;
using Agentic.Rl.Rewards;
using Agentic.Rl.Rollouts;
using Agentic.Rl.Training;
using Agentic.Training.Noise;

namespace Agentic.Rl.Asynchronous;

/// <summary>
/// Everything an <see cref="AsyncAgentRlTrainer"/> needs, besides the weights and the optimizer, to continue a run: the
/// synchronous state (steps, random stream, cursors, scheduler, curriculum, gate window, next request id), the policy
/// version, and the requests that were in flight (they are regenerated on resume, never half-counted).
/// </summary>
/// <param name="Run">The planner and gate state.</param>
/// <param name="PolicyVersion">Version of the trainer's weights.</param>
/// <param name="InFlight">Requests submitted but not yet consumed.</param>
public sealed record AsyncAgentRlState(AgentRlState Run, int PolicyVersion, RolloutRequest[] InFlight);

/// <summary>
/// Asynchronous reinforcement learning of a local policy on agent environments (DORA-style streaming): rollout workers
/// behind a <see cref="RolloutBackend"/> generate groups continuously while the trainer trains; each step takes the
/// first <see cref="AgentRlOptions.TasksPerStep"/> groups to finish (so a long-tailed rollout never stalls the trainer),
/// drops groups older than <see cref="AsyncAgentRlOptions.MaxStaleness"/> versions, counts each request id at most once,
/// trains, and publishes the new weights. Rewards, advantages, dynamic sampling, noise curriculum and suite scheduling
/// are those of <see cref="AgentRlTrainer"/>.
/// </summary>
/// <remarks>
/// Results arrive in the order workers finish them, so an asynchronous run is not bit-reproducible the way a
/// synchronous one is; resume restores the state and regenerates the in-flight requests.
/// </remarks>
public sealed class AsyncAgentRlTrainer
{
    private readonly MoeCausalLM _model;
    private readonly PolicyGradientTrainer _trainer;
    private readonly RolloutBackend _backend;
    private readonly RolloutPlanner _planner;
    private readonly Dictionary<long, RolloutRequest> _inFlight = [];
    private bool _started;

    /// <summary>Creates the trainer (nothing is submitted before the first step).</summary>
    /// <param name="model">The policy (trained in place; its weights are published to the backend).</param>
    /// <param name="suites">The suites; their names must be distinct and known to the backend's workers.</param>
    /// <param name="reward">The reward of a finished episode.</param>
    /// <param name="trainer">The policy-gradient trainer over <paramref name="model"/>.</param>
    /// <param name="backend">Where rollouts are generated.</param>
    /// <param name="options">Rollout options (group size, tasks per step, seed...).</param>
    /// <param name="asyncOptions">Staleness bound and in-flight groups.</param>
    /// <param name="advantages">The advantage estimator (null: GRPO with std normalisation).</param>
    /// <param name="curriculum">The noise curriculum (null: every rollout is clean).</param>
    /// <param name="scheduler">Shares tasks between suites (null: round-robin).</param>
    /// <exception cref="ArgumentException"><see cref="AgentRlOptions.ExpertGuidance"/> or <see cref="AgentRlOptions.ExpertRecovery"/> is on
    /// (synchronous training only).</exception>
    public AsyncAgentRlTrainer(MoeCausalLM model, IReadOnlyList<ITaskSuite> suites, Func<Trajectory, RewardBreakdown> reward, PolicyGradientTrainer trainer,
        RolloutBackend backend, AgentRlOptions options, AsyncAgentRlOptions? asyncOptions = null,
        AdvantageEstimator? advantages = null, NoiseCurriculum? curriculum = null, SuiteScheduler? scheduler = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentNullException.ThrowIfNull(backend);
        if (options is { ExpertGuidance: true } or { ExpertRecovery: true })
            throw new ArgumentException("Expert guidance and expert recovery are supported by the synchronous AgentRlTrainer only.", nameof(options));
        _planner = AgentRlTrainer.CreatePlanner(suites, reward, trainer, options, advantages, curriculum, scheduler);
        AsyncOptions = asyncOptions ?? new AsyncAgentRlOptions();
        AsyncOptions.Validate();
        _model = model;
        _trainer = trainer;
        _backend = backend;
        Options = options;
    }

    /// <summary>The rollout options.</summary>
    public AgentRlOptions Options { get; }

    /// <summary>The asynchronous options.</summary>
    public AsyncAgentRlOptions AsyncOptions { get; }

    /// <summary>Steps taken so far.</summary>
    public int StepCount { get; private set; }

    /// <summary>Version of the trainer's weights (raised by every step that applied an update).</summary>
    public int PolicyVersion { get; private set; }

    /// <summary>The policy-gradient trainer.</summary>
    public PolicyGradientTrainer PolicyTrainer => _trainer;

    /// <summary>The noise curriculum, if any.</summary>
    public NoiseCurriculum? Curriculum => _planner.Curriculum;

    /// <summary>The suite scheduler, if any.</summary>
    public SuiteScheduler? Scheduler => _planner.Scheduler;

    /// <summary>Groups dropped for staleness so far.</summary>
    public int StaleDropped { get; private set; }

    /// <summary>Results ignored because their request id was unknown or already counted.</summary>
    public int Duplicates { get; private set; }

    /// <summary>Requests the backend gave up (replaced by new ones).</summary>
    public int FailedRequests { get; private set; }

    /// <summary>Seconds the trainer spent waiting for rollouts.</summary>
    public double WaitSeconds { get; private set; }

    /// <summary>Seconds the trainer spent in updates.</summary>
    public double TrainSeconds { get; private set; }

    /// <summary>The run state; save it with the weights and optimizer (see <see cref="AsyncAgentRlState"/>).</summary>
    public AsyncAgentRlState GetState() =>
        new(AgentRlTrainer.CaptureState(_planner, _trainer, StepCount), PolicyVersion, [.. _inFlight.Values.OrderBy(r => r.Id)]);

    /// <summary>Restores a state from <see cref="GetState"/>; call before the first step. Its in-flight requests are submitted again.</summary>
    /// <exception cref="InvalidOperationException">The trainer has already started.</exception>
    /// <exception cref="ArgumentException">The state does not fit this trainer.</exception>
    public void SetState(AsyncAgentRlState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (_started) throw new InvalidOperationException("Restore the state before the first step.");
        StepCount = AgentRlTrainer.RestoreState(_planner, _trainer, state.Run);
        PolicyVersion = state.PolicyVersion;
        _inFlight.Clear();
        foreach (var request in state.InFlight ?? [])
        {
            request.Validate();
            if (!_planner.SuitesByName.ContainsKey(request.Suite)) throw new ArgumentException($"In-flight request {request.Id} names unknown suite '{request.Suite}'.", nameof(state));
            _inFlight[request.Id] = request;
        }
    }

    /// <summary>Takes the next finished groups, trains on them and publishes the new weights.</summary>
    /// <param name="cancellationToken">Cancels waiting for rollouts (the update itself is not interrupted).</param>
    public async Task<AgentRlStep> StepAsync(CancellationToken cancellationToken = default)
    {
        await StartAsync(cancellationToken).ConfigureAwait(false);
        var level = _planner.Curriculum?.Level ?? NoiseLevel.None;
        int stale = 0, duplicates = 0, failed = 0, kept = 0;
        var groups = new List<RolloutGroup>(Options.TasksPerStep);
        var wait = Stopwatch.StartNew();
        // Without refill (MaxRolloutBatches 1) this is the first TasksPerStep groups; with it, until that many are kept.
        while (groups.Count < Options.TasksPerStep || (kept < Options.TasksPerStep && groups.Count < Options.TasksPerStep * Options.MaxRolloutBatches))
        {
            var result = await _backend.Results.ReadAsync(cancellationToken).ConfigureAwait(false);
            if (!_inFlight.Remove(result.RequestId, out var request))
            {
                duplicates++;
                continue;
            }
            if (result.Failed)
            {
                failed++;
                if (failed > 2 * Options.TasksPerStep + 8)
                    throw new InvalidOperationException($"The rollout backend gave up {failed} requests in one step; the last error: {result.Error}");
            }
            else if (PolicyVersion - result.PolicyVersion > AsyncOptions.MaxStaleness || result.PolicyVersion < 0)
            {
                stale++;
            }
            else
            {
                var group = _planner.Build(request, result.Trajectories, result.PolicyVersion);
                groups.Add(group);
                if (!group.Dropped) kept++;
            }
            await SubmitAsync(_planner.Next(), cancellationToken).ConfigureAwait(false);
        }
        double waitSeconds = wait.Elapsed.TotalSeconds;
        _planner.RecordSuccess(groups);
        double staleness = groups.Average(g => (double)(PolicyVersion - g.PolicyVersion));

        var train = Stopwatch.StartNew();
        var update = _trainer.Train(AgentRlTrainer.Samples(groups));
        StepCount++;
        if (update.Applied > 0)
        {
            PolicyVersion++;
            _backend.PublishWeights(_model, PolicyVersion);
        }
        double trainSeconds = train.Elapsed.TotalSeconds;
        WaitSeconds += waitSeconds;
        TrainSeconds += trainSeconds;
        StaleDropped += stale;
        Duplicates += duplicates;
        FailedRequests += failed;
        return new AgentRlStep(StepCount, groups, update, level, waitSeconds, trainSeconds)
        {
            PolicyVersion = PolicyVersion,
            StaleDropped = stale,
            MeanStaleness = staleness,
            Duplicates = duplicates,
            FailedRequests = failed,
        };
    }

    private async Task StartAsync(CancellationToken cancellationToken)
    {
        if (_started) return;
        _started = true;
        _backend.PublishWeights(_model, PolicyVersion);
        var resumed = _inFlight.Values.OrderBy(r => r.Id).ToArray();
        _inFlight.Clear();
        foreach (var request in resumed) await SubmitAsync(request, cancellationToken).ConfigureAwait(false);
        int target = AsyncOptions.InFlight > 0 ? AsyncOptions.InFlight : Options.TasksPerStep;
        while (_inFlight.Count < target) await SubmitAsync(_planner.Next(), cancellationToken).ConfigureAwait(false);
    }

    private ValueTask SubmitAsync(RolloutRequest request, CancellationToken cancellationToken)
    {
        _inFlight[request.Id] = request;
        return _backend.SubmitAsync(request, cancellationToken);
    }
}
