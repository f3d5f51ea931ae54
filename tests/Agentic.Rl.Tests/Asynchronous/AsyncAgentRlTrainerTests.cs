using System.Text.Json;
using System.Threading.Channels;
using Agentic.Core.Agents;
using Agentic.Core.Chat;
using Agentic.Core.Tokenization;
using Agentic.Rl.Asynchronous;
using Agentic.Rl.Modeling;
using Agentic.Rl.Rewards;
using Agentic.Rl.Rollouts;
using Agentic.Rl.Tests.Modeling;
using Agentic.Rl.Tests.Rollouts;
using Agentic.Rl.Training;
using Agentic.Training.Noise;

#pragma warning disable AGENTIC030

namespace Agentic.Rl.Tests.Asynchronous;

public sealed class AsyncAgentRlTrainerTests
{
    private static readonly ByteLevelTokenizer Tokenizer = ByteLevelTokenizer.CreateDefault();
    private static readonly ChatTemplate Template = new(Tokenizer);
    private static readonly ITaskSuite[] Suites = [new EchoSuite("echo1"), new EchoSuite("echo2")];
    private static readonly CompositeReward Reward = new((new OutcomeReward(), 1.0));

    private static MoeCausalLM NewModel() => new(TinyModels.Config(vocab: 288) with { MaxPositionEmbeddings = 128 }, seed: 4);

    private static AgentRlOptions RolloutOptions() =>
        new() { GroupSize = 4, TasksPerStep = 3, MaxTurns = 1, MaxNewTokensPerTurn = 3, MaxTokens = 120, Seed = 11, DynamicSampling = false };

    private static PolicyRolloutWorker NewWorker(MoeCausalLM model) => new(model.Config, Tokenizer, Template, Suites, RolloutOptions());

    private static PolicyGradientTrainer NewPolicyTrainer(MoeCausalLM model) =>
        new(model, Tokenizer.EndOfTextId, new PolicyGradientOptions { LearningRate = 3e-3, MaxReuse = 1 });

    private static AsyncAgentRlTrainer NewTrainer(MoeCausalLM model, PolicyGradientTrainer policy, RolloutBackend backend, int maxStaleness = 2) =>
        new(model, Suites, t => Reward.Compute(t), policy, backend, RolloutOptions(), new AsyncAgentRlOptions { MaxStaleness = maxStaleness },
            curriculum: new NoiseCurriculum(new NoiseCurriculumOptions { NoisyFraction = 0.5, Window = 4, MinCleanSuccess = 0, Seed = 3 }));

    [Theory]
    [InlineData(1, 3, 0)] // no refill: the first TasksPerStep groups, all flat and dropped
    [InlineData(5, 7, 3)] // groups 0-3 flat; 4, 5 and 6 kept: the step ends at the third kept group
    [InlineData(2, 6, 2)] // two batches' worth of groups arrived with only two kept
    public async Task Refill_takes_finished_groups_until_enough_are_kept_or_the_batch_limit(int maxBatches, int groups, int kept)
    {
        using var model = NewModel();
        using var policy = NewPolicyTrainer(model);
        await using var backend = new SubmitTimeBackend(model);
        int calls = 0;
        RewardBreakdown Scripted(Trajectory t)
        {
            int call = calls++;
            double total = call / 4 < 4 ? 0 : call % 2; // the first four groups are flat
            return new RewardBreakdown(total, new Dictionary<string, double> { ["outcome"] = total });
        }
        var options = RolloutOptions();
        options.DynamicSampling = true;
        options.MaxRolloutBatches = maxBatches;
        var trainer = new AsyncAgentRlTrainer(model, Suites, Scripted, policy, backend, options);
        var step = await trainer.StepAsync();
        Assert.Equal(groups, step.Groups.Count);
        Assert.Equal(kept, step.Groups.Count(g => !g.Dropped));
        Assert.Equal(kept * 4, step.Update.Samples);
    }

    [Fact]
    public void Expert_guidance_is_rejected_with_a_clear_error()
    {
        using var model = NewModel();
        using var policy = NewPolicyTrainer(model);
        var options = RolloutOptions();
        options.ExpertGuidance = true;
        var error = Assert.Throws<ArgumentException>(() => new AsyncAgentRlTrainer(model, Suites, t => Reward.Compute(t), policy, new SubmitTimeBackend(model), options));
        Assert.Contains("synchronous", error.Message);
    }

    private static float[] Weights(MoeCausalLM model) => [.. model.parameters().SelectMany(p => p.detach().cpu().data<float>().ToArray())];

    /// <summary>
    /// A backend that generates each group when it is submitted, with the real worker and the weights published at that
    /// moment (so a group submitted during step k carries version k and is consumed at version k + 1), and can deliver
    /// every result twice.
    /// </summary>
    private sealed class SubmitTimeBackend(MoeCausalLM model, bool duplicate = false) : RolloutBackend
    {
        private readonly Channel<RolloutResult> _results = Channel.CreateUnbounded<RolloutResult>();
        private readonly PolicyWeightStore _weights = new();
        private readonly PolicyRolloutWorker _worker = NewWorker(model);

        public override ChannelReader<RolloutResult> Results => _results.Reader;

        public override void PublishWeights(MoeCausalLM policy, int version) => _weights.Publish(policy, version);

        public override async ValueTask SubmitAsync(RolloutRequest request, CancellationToken cancellationToken = default)
        {
            _worker.SyncWeights(_weights);
            var groups = await _worker.GenerateAsync([request], cancellationToken);
            var result = new RolloutResult(request.Id, _worker.PolicyVersion, 0, groups[0], 0);
            _results.Writer.TryWrite(result);
            if (duplicate) _results.Writer.TryWrite(result);
        }

        public override ValueTask DisposeAsync()
        {
            _worker.Dispose();
            _weights.Dispose();
            return ValueTask.CompletedTask;
        }
    }

    /// <summary>The real worker, throwing on its first batch (as a worker that crashes mid-generation would).</summary>
    private sealed class CrashingWorker(MoeCausalLM model, bool crash) : RolloutWorker
    {
        private readonly PolicyRolloutWorker _inner = NewWorker(model);

        public override int PolicyVersion => _inner.PolicyVersion;

        public override void SyncWeights(PolicyWeightStore weights) => _inner.SyncWeights(weights);

        public override async Task<IReadOnlyList<Trajectory>[]> GenerateAsync(IReadOnlyList<RolloutRequest> requests, CancellationToken cancellationToken)
        {
            var groups = await _inner.GenerateAsync(requests, cancellationToken);
            if (crash) throw new InvalidOperationException("worker crashed");
            return groups;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing) _inner.Dispose();
            base.Dispose(disposing);
        }
    }

    [Fact]
    public async Task In_process_workers_stream_whole_groups_each_from_one_policy_version()
    {
        using var model = NewModel();
        using var policy = NewPolicyTrainer(model);
        await using var backend = new InProcessRolloutBackend(_ => NewWorker(model), new InProcessRolloutBackendOptions { Workers = 2 });
        var trainer = NewTrainer(model, policy, backend);
        var seen = new HashSet<long>();
        for (int s = 1; s <= 4; s++)
        {
            int versionBefore = trainer.PolicyVersion;
            var step = await trainer.StepAsync();
            Assert.Equal(s, step.Step);
            Assert.Equal(3, step.Groups.Count);
            foreach (var g in step.Groups)
            {
                Assert.True(seen.Add(g.RequestId), $"request {g.RequestId} counted twice");
                Assert.Equal(4, g.Rollouts.Count);
                Assert.InRange(g.PolicyVersion, Math.Max(0, versionBefore - 2), versionBefore);
            }
            Assert.Equal(versionBefore + (step.Update.Applied > 0 ? 1 : 0), trainer.PolicyVersion);
        }
        Assert.True(trainer.PolicyVersion >= 1);
        Assert.Equal(0, backend.Faults);
    }

    [Fact]
    public async Task Groups_older_than_the_staleness_bound_are_dropped_and_replaced()
    {
        using var model = NewModel();
        using var policy = NewPolicyTrainer(model);
        await using var backend = new SubmitTimeBackend(model);
        var strict = NewTrainer(model, policy, backend, maxStaleness: 0);
        var first = await strict.StepAsync();
        Assert.Equal(0, first.StaleDropped);
        Assert.Equal(1, strict.PolicyVersion);
        // The three replacements were generated by version 0 while step 1 trained: one version too old for S = 0.
        var second = await strict.StepAsync();
        Assert.Equal(3, second.StaleDropped);
        Assert.All(second.Groups, g => Assert.Equal(1, g.PolicyVersion));
    }

    [Fact]
    public async Task Groups_within_the_staleness_bound_are_trained_on()
    {
        using var model = NewModel();
        using var policy = NewPolicyTrainer(model);
        await using var backend = new SubmitTimeBackend(model);
        var trainer = NewTrainer(model, policy, backend, maxStaleness: 1);
        await trainer.StepAsync();
        var second = await trainer.StepAsync();
        Assert.Equal(0, second.StaleDropped);
        Assert.All(second.Groups, g => Assert.Equal(0, g.PolicyVersion));
        // Importance weights correct the one-version lag (they differ from 1 once the policy moved).
        Assert.NotEqual(1.0, second.Update.MeanImportanceWeight);
    }

    [Fact]
    public async Task A_result_delivered_twice_is_counted_once()
    {
        using var model = NewModel();
        using var policy = NewPolicyTrainer(model);
        await using var backend = new SubmitTimeBackend(model, duplicate: true);
        var trainer = NewTrainer(model, policy, backend);
        var ids = new List<long>();
        for (int i = 0; i < 3; i++) ids.AddRange((await trainer.StepAsync()).Groups.Select(g => g.RequestId));
        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal(9, ids.Count);
        Assert.True(trainer.Duplicates >= 6);
    }

    [Fact]
    public async Task A_worker_that_throws_is_restarted_and_its_requests_regenerated_once()
    {
        using var model = NewModel();
        using var policy = NewPolicyTrainer(model);
        int created = 0;
        var faults = new List<RolloutFault>();
        await using var backend = new InProcessRolloutBackend(
            _ => new CrashingWorker(model, crash: Interlocked.Increment(ref created) == 1),
            new InProcessRolloutBackendOptions { Workers = 1, OnFault = f => { lock (faults) faults.Add(f); } });
        var trainer = NewTrainer(model, policy, backend);
        var ids = new List<long>();
        for (int i = 0; i < 2; i++) ids.AddRange((await trainer.StepAsync()).Groups.Select(g => g.RequestId));
        Assert.Equal(1, backend.Faults);
        Assert.Equal(1, backend.Restarts);
        Assert.Single(faults);
        // The crashed request came back regenerated, exactly once, and nothing was lost: ids 0..5 in some order.
        Assert.Contains(faults[0].RequestIds[0], ids);
        Assert.Equal(Enumerable.Range(0, 6).Select(i => (long)i), ids.Order());
        Assert.Equal(0, trainer.FailedRequests);
    }

    [Fact]
    public async Task A_request_that_keeps_failing_is_given_up_and_replaced()
    {
        using var model = NewModel();
        using var policy = NewPolicyTrainer(model);
        int created = 0;
        await using var backend = new InProcessRolloutBackend(
            _ => new CrashingWorker(model, crash: Interlocked.Increment(ref created) == 1),
            new InProcessRolloutBackendOptions { Workers = 1, MaxAttempts = 1 });
        var trainer = NewTrainer(model, policy, backend);
        var step = await trainer.StepAsync();
        Assert.Equal(3, step.Groups.Count);
        Assert.Equal(1, step.FailedRequests);
        Assert.Equal(1, backend.GivenUp);
        Assert.DoesNotContain(0L, step.Groups.Select(g => g.RequestId));
    }

    [Fact]
    public async Task A_restored_trainer_regenerates_the_requests_that_were_in_flight()
    {
        using var model = NewModel();
        AsyncAgentRlState state;
        float[] weights;
        using (var policy = NewPolicyTrainer(model))
        {
            await using var backend = new SubmitTimeBackend(model);
            var trainer = NewTrainer(model, policy, backend);
            for (int i = 0; i < 2; i++) await trainer.StepAsync();
            state = JsonSerializer.Deserialize<AsyncAgentRlState>(JsonSerializer.Serialize(trainer.GetState()))!;
            weights = Weights(model);
        }
        Assert.Equal(2, state.Run.Step);
        Assert.Equal(3, state.InFlight.Length);
        Assert.Equal(9, state.Run.NextRequestId);

        using var resumedPolicy = NewPolicyTrainer(model);
        await using var resumedBackend = new SubmitTimeBackend(model);
        var resumed = NewTrainer(model, resumedPolicy, resumedBackend);
        resumed.SetState(state);
        Assert.Equal(state.PolicyVersion, resumed.PolicyVersion);
        var step = await resumed.StepAsync();
        Assert.Equal(3, step.Step);
        Assert.Equal(state.InFlight.Select(r => r.Id), step.Groups.Select(g => g.RequestId).Order());
        Assert.All(step.Groups, g => Assert.Equal(state.PolicyVersion, g.PolicyVersion));
        Assert.Equal(weights.Length, Weights(model).Length);
        await Assert.ThrowsAsync<InvalidOperationException>(async () => { resumed.SetState(state); await Task.CompletedTask; });
    }

    [Fact]
    public void Published_weights_reach_a_worker_copy_and_versions_only_rise()
    {
        using var model = NewModel();
        using var copy = new MoeCausalLM(model.Config, seed: 99);
        using var store = new PolicyWeightStore();
        int loaded = -1;
        Assert.Throws<InvalidOperationException>(() => store.TryLoad(copy, ref loaded));
        store.Publish(model, 0);
        Assert.True(store.TryLoad(copy, ref loaded));
        Assert.Equal(0, loaded);
        Assert.Equal(Weights(model), Weights(copy));
        Assert.False(store.TryLoad(copy, ref loaded));
        Assert.Throws<ArgumentOutOfRangeException>(() => store.Publish(model, 0));
    }
}
