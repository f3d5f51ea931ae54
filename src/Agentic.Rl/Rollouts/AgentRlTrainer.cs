using System.Diagnostics;
using Agentic.Core.Agents;
using Agentic.Core.Chat;
using Agentic.Core.Randomness;
using Agentic.Core.Tokenization;
using Agentic.Rl.Advantages;
using Agentic.Rl.Generation;
using Agentic.Rl.Modeling;
using Agentic.Rl.Rewards;
using Agentic.Rl.Training;
using Agentic.Training.Noise;

namespace Agentic.Rl.Rollouts;

/// <summary>
/// Everything an <see cref="AgentRlTrainer"/> needs, besides the weights and the optimizer, to continue a run exactly:
/// steps taken, the random stream, the suite cursor, the scheduler's running success, the noise curriculum's JSON state
/// and the gradient gate's window.
/// </summary>
/// <param name="Step">Steps taken.</param>
/// <param name="Random">State of the task/seed stream (four words).</param>
/// <param name="SuiteCursor">Next suite of round-robin sampling.</param>
/// <param name="Scheduler">The scheduler's state, if any.</param>
/// <param name="Curriculum">The curriculum's JSON state, if any.</param>
/// <param name="Gate">The gradient gate's state.</param>
/// <param name="NextRequestId">Id of the next rollout request.</param>
/// <param name="Replay">The task-replay buffer (<see cref="AgentRlOptions.ReplayFraction"/>), oldest first; null or empty without replay.</param>
public sealed record AgentRlState(int Step, ulong[] Random, int SuiteCursor, double[]? Scheduler, string? Curriculum, double[] Gate, long NextRequestId = 0,
    IReadOnlyList<ReplayEntry>? Replay = null);

/// <summary>What one step of <see cref="AgentRlTrainer"/> did.</summary>
/// <param name="Step">One-based step number.</param>
/// <param name="Groups">The groups rolled out (dropped ones included, flagged).</param>
/// <param name="Update">The policy-gradient update on the kept groups.</param>
/// <param name="NoiseLevel">The curriculum's noise level during the rollouts.</param>
/// <param name="RolloutSeconds">Wall-clock seconds the trainer spent on rollouts (generating them, or in asynchronous
/// training waiting for them).</param>
/// <param name="UpdateSeconds">Wall-clock seconds spent in the update.</param>
public sealed record AgentRlStep(int Step, IReadOnlyList<RolloutGroup> Groups, PolicyGradientResult Update, NoiseLevel NoiseLevel, double RolloutSeconds, double UpdateSeconds)
{
    /// <summary>Version of the weights after the step (asynchronous training; 0 in synchronous training).</summary>
    public int PolicyVersion { get; init; }

    /// <summary>Mean age, in policy versions, of the trained groups' weights when the step consumed them (0 in synchronous training).</summary>
    public double MeanStaleness { get; init; }

    /// <summary>Groups dropped for staleness in this step (asynchronous training).</summary>
    public int StaleDropped { get; init; }

    /// <summary>Results ignored as duplicates in this step (asynchronous training).</summary>
    public int Duplicates { get; init; }

    /// <summary>Requests the rollout backend gave up in this step (asynchronous training).</summary>
    public int FailedRequests { get; init; }

    /// <summary>All rollouts of the step.</summary>
    public IEnumerable<Rollout> Rollouts => Groups.SelectMany(g => g.Rollouts);

    /// <summary>Mean shaped reward over all rollouts.</summary>
    public double RewardMean => Rollouts.Average(r => r.Reward.Total);

    /// <summary>Success rate of the clean rollouts (null when there were none).</summary>
    public double? SuccessClean => Rate(Rollouts.Where(r => !r.Noisy));

    /// <summary>Success rate of the noisy rollouts (null when there were none).</summary>
    public double? SuccessNoisy => Rate(Rollouts.Where(r => r.Noisy));

    private static double? Rate(IEnumerable<Rollout> rollouts)
    {
        var list = rollouts.ToList();
        return list.Count == 0 ? null : list.Count(r => r.Trajectory.Success) / (double)list.Count;
    }
}

/// <summary>
/// Reinforcement learning of a local policy on agent environments (GRPO and its relatives on multi-turn tool use):
/// each step draws tasks round-robin from the suites, rolls out a group of episodes per task with the current policy
/// (token ids and sampling log-probabilities carried end to end by the <see cref="AgentLoop"/>; only the policy's own
/// tokens carry loss), lets the <see cref="NoiseCurriculum"/> decide which rollouts of each group run under tool noise,
/// shapes rewards, computes group-relative advantages (separately for clean and noisy rollouts), drops groups without
/// signal (dynamic sampling), and hands the rest to a <see cref="PolicyGradientTrainer"/> (with its gradient gate).
/// </summary>
public sealed class AgentRlTrainer
{
    private readonly MoeCausalLM _model;
    private readonly ByteLevelTokenizer _tokenizer;
    private readonly ChatTemplate _template;
    private readonly PolicyGradientTrainer _trainer;
    private readonly RolloutPlanner _planner;
    private readonly ExpertGuidance? _guidance;
    private readonly ExpertRecovery? _recovery;

    /// <summary>Creates the trainer.</summary>
    /// <param name="model">The policy (trained in place).</param>
    /// <param name="tokenizer">The policy's tokenizer.</param>
    /// <param name="template">The chat template the policy was trained with.</param>
    /// <param name="suites">The suites to draw tasks from (round-robin); their names must be distinct.</param>
    /// <param name="reward">The reward of a finished episode (for example a <see cref="CompositeReward"/> per suite).</param>
    /// <param name="trainer">The policy-gradient trainer over <paramref name="model"/>.</param>
    /// <param name="options">Options.</param>
    /// <param name="advantages">The advantage estimator (null: GRPO with std normalisation).</param>
    /// <param name="curriculum">The noise curriculum (null: every rollout is clean).</param>
    /// <param name="scheduler">Shares the tasks of a step between the suites (null: round-robin); its suites must be
    /// <paramref name="suites"/>' names, in order.</param>
    /// <exception cref="ArgumentException"><see cref="AgentRlOptions.ExpertGuidance"/> or <see cref="AgentRlOptions.ExpertRecovery"/> is on and a
    /// suite has no scripted expert.</exception>
    public AgentRlTrainer(MoeCausalLM model, ByteLevelTokenizer tokenizer, ChatTemplate template, IReadOnlyList<ITaskSuite> suites,
        Func<Trajectory, RewardBreakdown> reward, PolicyGradientTrainer trainer, AgentRlOptions options,
        AdvantageEstimator? advantages = null, NoiseCurriculum? curriculum = null, SuiteScheduler? scheduler = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ArgumentNullException.ThrowIfNull(template);
        ArgumentNullException.ThrowIfNull(trainer);
        _planner = CreatePlanner(suites, reward, trainer, options, advantages, curriculum, scheduler);
        _model = model;
        _tokenizer = tokenizer;
        _template = template;
        _trainer = trainer;
        Options = options;
        if (options.ExpertGuidance) _guidance = ExpertGuidance.Create(model, tokenizer, template, options, _planner.SuitesByName);
        if (options.ExpertRecovery) _recovery = ExpertRecovery.Create(model, tokenizer, template, options, _planner.SuitesByName);
    }

    /// <summary>The trainer's options.</summary>
    public AgentRlOptions Options { get; }

    /// <summary>The random stream of task sampling and episode seeds (part of the run's state).</summary>
    public DeterministicRandom Random => _planner.Random;

    /// <summary>Steps taken so far.</summary>
    public int StepCount { get; private set; }

    /// <summary>The policy-gradient trainer.</summary>
    public PolicyGradientTrainer PolicyTrainer => _trainer;

    /// <summary>The suite scheduler, if any.</summary>
    public SuiteScheduler? Scheduler => _planner.Scheduler;

    /// <summary>The noise curriculum, if any.</summary>
    public NoiseCurriculum? Curriculum => _planner.Curriculum;

    /// <summary>Index of the suite the next task is drawn from (part of the run's state).</summary>
    public int SuiteCursor { get => _planner.SuiteCursor; set => _planner.SuiteCursor = value; }

    /// <summary>The run state (see <see cref="AgentRlState"/>); save it next to the weights and optimizer.</summary>
    public AgentRlState GetState() => CaptureState(_planner, _trainer, StepCount);

    /// <summary>Restores a state from <see cref="GetState"/>.</summary>
    /// <exception cref="ArgumentException">The state does not fit this trainer (a missing curriculum or scheduler state, a bad random state).</exception>
    public void SetState(AgentRlState state) => StepCount = RestoreState(_planner, _trainer, state);

    /// <summary>Rolls out one batch of groups and trains on it.</summary>
    /// <param name="cancellationToken">Cancels the rollouts (the update itself is not interrupted).</param>
    public async Task<AgentRlStep> StepAsync(CancellationToken cancellationToken = default)
    {
        var level = _planner.Curriculum?.Level ?? NoiseLevel.None;
        var clock = Stopwatch.StartNew();
        var groups = await RolloutAsync(cancellationToken).ConfigureAwait(false);
        double rolloutSeconds = clock.Elapsed.TotalSeconds;

        clock.Restart();
        var update = _trainer.Train(Samples(groups));
        StepCount++;
        return new AgentRlStep(StepCount, groups, update, level, rolloutSeconds, clock.Elapsed.TotalSeconds);
    }

    /// <summary>
    /// Rolls out the groups of one step with the current policy, without training (rewards and advantages included): one
    /// batch of <see cref="AgentRlOptions.TasksPerStep"/> groups, and with <see cref="AgentRlOptions.MaxRolloutBatches"/>
    /// above 1 further batches while fewer than <see cref="AgentRlOptions.TasksPerStep"/> groups are kept.
    /// </summary>
    /// <param name="cancellationToken">Cancels the rollouts.</param>
    public async Task<IReadOnlyList<RolloutGroup>> RolloutAsync(CancellationToken cancellationToken = default)
    {
        var groups = new List<RolloutGroup>(Options.TasksPerStep);
        int kept = 0;
        for (int batch = 0; batch == 0 || (batch < Options.MaxRolloutBatches && kept < Options.TasksPerStep); batch++)
        {
            var rolled = await RolloutBatchAsync(cancellationToken).ConfigureAwait(false);
            groups.AddRange(rolled);
            kept += rolled.Count(g => !g.Dropped);
        }
        return groups;
    }

    private async Task<IReadOnlyList<RolloutGroup>> RolloutBatchAsync(CancellationToken cancellationToken)
    {
        var requests = new RolloutRequest[Options.TasksPerStep];
        for (int t = 0; t < requests.Length; t++) requests[t] = _planner.Next();
        ulong samplerSeed = _planner.NextSeed();
        var trajectories = await RolloutEngine.RunAsync(_model, _tokenizer, _template, _planner.SuitesByName, Options, requests, samplerSeed, cancellationToken).ConfigureAwait(false);
        var guidance = _guidance is null ? null : await _guidance.RunAsync(requests, cancellationToken).ConfigureAwait(false);
        var recovery = _recovery is null ? null : await _recovery.RunAsync(requests, trajectories, cancellationToken).ConfigureAwait(false);
        var groups = requests.Select((r, i) => _planner.Build(r, trajectories[i], policyVersion: 0,
            [.. guidance?[i] ?? [], .. recovery?[i] ?? []])).ToArray();
        _planner.RecordSuccess(groups);
        return groups;
    }

    /// <summary>Checks the arguments both trainers share and builds their planner.</summary>
    internal static RolloutPlanner CreatePlanner(IReadOnlyList<ITaskSuite> suites, Func<Trajectory, RewardBreakdown> reward, PolicyGradientTrainer trainer,
        AgentRlOptions options, AdvantageEstimator? advantages, NoiseCurriculum? curriculum, SuiteScheduler? scheduler)
    {
        ArgumentNullException.ThrowIfNull(suites);
        ArgumentNullException.ThrowIfNull(reward);
        ArgumentNullException.ThrowIfNull(options);
        if (suites.Count == 0) throw new ArgumentException("At least one suite is needed.", nameof(suites));
        options.Validate();
        if (Math.Abs(options.Temperature - trainer.Options.Temperature) > 1e-9)
            throw new ArgumentException($"Rollouts are sampled at temperature {options.Temperature} but the trainer computes log-probabilities at {trainer.Options.Temperature}.", nameof(trainer));
        if (scheduler is not null && !scheduler.Suites.SequenceEqual(suites.Select(x => x.Suite)))
            throw new ArgumentException("The scheduler's suites must be the trainer's suites, in order.", nameof(scheduler));
        return new RolloutPlanner(suites, options, reward, advantages ?? new GrpoAdvantageEstimator(), curriculum, scheduler);
    }

    /// <summary>The policy samples of the groups dynamic sampling kept.</summary>
    internal static PolicySample[] Samples(IEnumerable<RolloutGroup> groups) =>
        groups.Where(g => !g.Dropped).SelectMany(g => g.Rollouts.Concat(g.Guidance))
            .Select(r => new PolicySample(r.Trajectory.TokenIds, r.Trajectory.LossMask, r.Trajectory.LogProbs, r.Advantage) { TokenAdvantages = r.TokenAdvantages })
            .ToArray();

    internal static AgentRlState CaptureState(RolloutPlanner planner, PolicyGradientTrainer trainer, int step)
    {
        var r = planner.Random.GetState();
        return new AgentRlState(step, [r.S0, r.S1, r.S2, r.S3], planner.SuiteCursor, planner.Scheduler?.GetState(), planner.Curriculum?.ToJson(),
            trainer.Gate.GetState(), planner.NextRequestId, [.. planner.Replay]);
    }

    internal static int RestoreState(RolloutPlanner planner, PolicyGradientTrainer trainer, AgentRlState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Random is not { Length: 4 }) throw new ArgumentException("The random state needs four words.", nameof(state));
        if ((planner.Curriculum is null) != (state.Curriculum is null)) throw new ArgumentException("The state and the trainer disagree on the noise curriculum.", nameof(state));
        if ((planner.Scheduler is null) != (state.Scheduler is null)) throw new ArgumentException("The state and the trainer disagree on the suite scheduler.", nameof(state));
        planner.Random.SetState(new RandomState(state.Random[0], state.Random[1], state.Random[2], state.Random[3]));
        planner.SuiteCursor = state.SuiteCursor;
        planner.NextRequestId = state.NextRequestId;
        planner.Replay.Clear();
        if (state.Replay is not null)
        {
            if (state.Replay.Any(e => !planner.SuitesByName.ContainsKey(e.Suite))) throw new ArgumentException("The replay buffer names a suite the trainer does not have.", nameof(state));
            planner.Replay.AddRange(state.Replay);
        }
        if (state.Scheduler is not null) planner.Scheduler!.SetState(state.Scheduler);
        if (state.Curriculum is not null) planner.Curriculum!.RestoreJson(state.Curriculum);
        trainer.Gate.SetState(state.Gate);
        return state.Step;
    }
}
