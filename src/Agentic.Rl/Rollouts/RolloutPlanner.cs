using Agentic.Core.Agents;
using Agentic.Core.Randomness;
using Agentic.Rl.Advantages;
using Agentic.Rl.Rewards;
using Agentic.Training.Noise;

namespace Agentic.Rl.Rollouts;

/// <summary>A partly solved training task kept for replay.</summary>
/// <param name="Suite">The task's suite.</param>
/// <param name="TaskSeed">The seed the task is sampled from.</param>
/// <param name="Replays">Times it has been replayed.</param>
public sealed record ReplayEntry(string Suite, ulong TaskSeed, int Replays);

/// <summary>
/// The bookkeeping shared by the synchronous and the asynchronous trainers: which suite and task come next (scheduler
/// or round-robin), which rollouts of a group run under noise, the seeds, and, when a group's trajectories come back,
/// its rewards, advantages, dynamic-sampling decision and what the curriculum and scheduler learn from it.
/// </summary>
internal sealed class RolloutPlanner
{
    private readonly IReadOnlyList<ITaskSuite> _suites;
    private readonly AgentRlOptions _options;
    private readonly Func<Trajectory, RewardBreakdown> _reward;
    private readonly AdvantageEstimator _advantages;
    private readonly PrefixTreeCredit _treeCredit = new();
    private readonly HashSet<string> _noiseReaches;
    private int _nextSuite;

    public RolloutPlanner(IReadOnlyList<ITaskSuite> suites, AgentRlOptions options, Func<Trajectory, RewardBreakdown> reward,
        AdvantageEstimator advantages, NoiseCurriculum? curriculum, SuiteScheduler? scheduler)
    {
        _suites = suites;
        _options = options;
        _reward = reward;
        _advantages = advantages;
        Curriculum = curriculum;
        Scheduler = scheduler;
        SuitesByName = suites.ToDictionary(s => s.Suite, StringComparer.Ordinal);
        if (SuitesByName.Count != suites.Count) throw new ArgumentException("Suite names must be distinct.", nameof(suites));
        // A suite without tools, tag tools or a simulated user runs a "noisy" rollout exactly like a clean
        // one: its groups stay whole (one advantage group, not two halves) and do not feed the curriculum's noisy window.
        _noiseReaches = curriculum is null ? [] : suites.Where(s => NoisyEnvironment.ForLevel(s.CreateEnvironment(), NoiseLevel.High, 0).CanInject)
            .Select(s => s.Suite).ToHashSet(StringComparer.Ordinal);
        Random = new DeterministicRandom(options.Seed);
    }

    public DeterministicRandom Random { get; }

    public NoiseCurriculum? Curriculum { get; }

    public SuiteScheduler? Scheduler { get; }

    public IReadOnlyDictionary<string, ITaskSuite> SuitesByName { get; }

    public int SuiteCursor { get => _nextSuite; set => _nextSuite = ((value % _suites.Count) + _suites.Count) % _suites.Count; }

    /// <summary>Id the next request gets.</summary>
    public long NextRequestId { get; set; }

    /// <summary>Partly solved tasks waiting to be replayed, oldest first (part of the run's state).</summary>
    public List<ReplayEntry> Replay { get; } = [];

    /// <summary>Plans the next group.</summary>
    public RolloutRequest Next()
    {
        ITaskSuite suite;
        ulong? replayed = null;
        if (_options.ReplayFraction > 0 && Replay.Count > 0 && Random.NextDouble() < _options.ReplayFraction)
        {
            int at = Random.Next(Replay.Count);
            var entry = Replay[at];
            Replay[at] = entry with { Replays = entry.Replays + 1 };
            suite = SuitesByName[entry.Suite];
            replayed = entry.TaskSeed;
        }
        else if (Scheduler is not null)
        {
            suite = _suites[Scheduler.Next(Random)];
        }
        else
        {
            suite = _suites[_nextSuite];
            _nextSuite = (_nextSuite + 1) % _suites.Count;
        }
        ulong taskSeed = replayed ?? NextSeed();
        bool[] noisy = Curriculum is null || !_noiseReaches.Contains(suite.Suite)
            ? new bool[_options.GroupSize]
            : [.. Curriculum.SelectNoisyRollouts(_options.GroupSize)];
        var seeds = new ulong[_options.GroupSize];
        if (_options.SharedEpisodeSeeds)
        {
            ulong clean = NextSeed(), noisySeed = NextSeed();
            for (int i = 0; i < seeds.Length; i++) seeds[i] = noisy[i] ? noisySeed : clean;
        }
        else
        {
            for (int i = 0; i < seeds.Length; i++) seeds[i] = NextSeed();
        }
        return new RolloutRequest(NextRequestId++, suite.Suite, taskSeed, seeds, noisy, Curriculum?.Level ?? NoiseLevel.None, NextSeed());
    }

    public ulong NextSeed() => (ulong)Random.NextInt64(1, long.MaxValue);

    /// <summary>Rewards, advantages and the dynamic-sampling decision of a finished group; feeds the curriculum.</summary>
    public RolloutGroup Build(RolloutRequest request, IReadOnlyList<Trajectory> runs, int policyVersion, IReadOnlyList<GuidanceTrajectory>? guidance = null)
    {
        if (runs.Count != request.GroupSize) throw new ArgumentException($"Request {request.Id} has {request.GroupSize} rollouts but {runs.Count} trajectories came back.");
        guidance ??= [];
        var suite = SuitesByName[request.Suite];
        var all = runs.Select((r, i) => (Trajectory: r, Noisy: request.Noisy[i])).Concat(guidance.Select(g => (g.Trajectory, g.Noisy))).ToArray();
        var rewards = all.Select(x => _reward(x.Trajectory)).ToArray();
        var grouped = rewards.Select((r, i) => new GroupedReward(r.Total, _options.SeparateNoisyAdvantages ? (all[i].Noisy ? "noisy" : "clean") : null)).ToArray();
        var advantages = _advantages.Estimate(grouped);
        if (_options.MaxSubgroupSuccess < 1) FilterEasySubgroups(runs, grouped, advantages);
        bool dropped = _options.DynamicSampling && advantages.All(a => a == 0);
        for (int i = 0; i < runs.Count; i++) Curriculum?.Record(request.Noisy[i], runs[i].Success);
        if (_options.ReplayFraction > 0) Remember(request, runs.Count(r => r.Success), runs.Count);
        var tokens = _options.Credit == CreditAssignment.PrefixTree && !dropped
            ? _treeCredit.Estimate([.. all.Select(x => x.Trajectory.TokenIds)], grouped, advantages)
            : null;
        var rollouts = all.Select((x, i) => new Rollout(x.Trajectory, x.Noisy, rewards[i], advantages[i]) { TokenAdvantages = tokens?[i] }).ToArray();
        return new RolloutGroup(suite.Suite, runs[0].Task, rollouts[..runs.Count], dropped)
        {
            Guidance = rollouts[runs.Count..],
            RequestId = request.Id,
            PolicyVersion = policyVersion,
        };
    }

    /// <summary>
    /// Zeroes the advantages of every subgroup (guidance included) whose policy rollouts succeeded more often than
    /// <see cref="AgentRlOptions.MaxSubgroupSuccess"/>; <paramref name="grouped"/> lists the policy's rollouts first.
    /// </summary>
    private void FilterEasySubgroups(IReadOnlyList<Trajectory> runs, GroupedReward[] grouped, IList<double> advantages)
    {
        var easy = Enumerable.Range(0, runs.Count).GroupBy(i => grouped[i].Subgroup)
            .Where(subgroup => subgroup.Average(i => runs[i].Success ? 1.0 : 0.0) > _options.MaxSubgroupSuccess)
            .Select(subgroup => subgroup.Key)
            .ToList();
        for (int i = 0; i < grouped.Length; i++)
            if (easy.Contains(grouped[i].Subgroup)) advantages[i] = 0;
    }

    /// <summary>Keeps a partly solved task for replay; drops a task solved in every rollout or in none, or replayed enough.</summary>
    private void Remember(RolloutRequest request, int successes, int rollouts)
    {
        int at = Replay.FindIndex(e => e.TaskSeed == request.TaskSeed && e.Suite == request.Suite);
        bool partly = successes > 0 && successes < rollouts;
        if (at >= 0)
        {
            if (!partly || Replay[at].Replays >= _options.MaxReplays) Replay.RemoveAt(at);
            return;
        }
        if (!partly) return;
        if (Replay.Count == _options.ReplayCapacity) Replay.RemoveAt(0);
        Replay.Add(new ReplayEntry(request.Suite, request.TaskSeed, 0));
    }

    /// <summary>Tells the scheduler the success of each suite in <paramref name="groups"/>.</summary>
    public void RecordSuccess(IEnumerable<RolloutGroup> groups)
    {
        if (Scheduler is null) return;
        foreach (var bySuite in groups.GroupBy(g => g.Suite))
            Scheduler.Record(bySuite.Key, bySuite.SelectMany(g => g.Rollouts).Average(r => r.Trajectory.Success ? 1.0 : 0.0));
    }
}
