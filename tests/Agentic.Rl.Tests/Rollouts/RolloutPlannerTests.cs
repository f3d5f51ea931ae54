using Agentic.Core.Agents;
using Agentic.Rl.Advantages;
using Agentic.Rl.Rewards;
using Agentic.Rl.Rollouts;
using Agentic.Training.Noise;

#pragma warning disable AGENTIC030

namespace Agentic.Rl.Tests.Rollouts;

public sealed class RolloutPlannerTests
{
    private static RolloutPlanner Planner(bool shared = true, double maxSubgroupSuccess = 1)
    {
        var reward = new CompositeReward((new OutcomeReward(), 1.0));
        return new RolloutPlanner([new EchoSuite("echo")], new AgentRlOptions { GroupSize = 8, Seed = 5, SharedEpisodeSeeds = shared, MaxSubgroupSuccess = maxSubgroupSuccess },
            t => reward.Compute(t), new GrpoAdvantageEstimator(),
            new NoiseCurriculum(new NoiseCurriculumOptions { NoisyFraction = 0.5, Seed = 2 }), scheduler: null);
    }

    [Fact]
    public void Shared_episode_seeds_give_the_noisy_rollouts_of_a_group_one_seed_and_the_clean_ones_another()
    {
        var planner = Planner(shared: true);
        var seen = new HashSet<ulong>();
        for (int g = 0; g < 20; g++)
        {
            var request = planner.Next();
            var noisy = request.EpisodeSeeds.Where((_, i) => request.Noisy[i]).Distinct().ToArray();
            var clean = request.EpisodeSeeds.Where((_, i) => !request.Noisy[i]).Distinct().ToArray();
            Assert.Single(noisy);
            Assert.Single(clean);
            Assert.NotEqual(noisy[0], clean[0]);
            // Groups still differ from each other.
            Assert.True(seen.Add(noisy[0]));
            Assert.True(seen.Add(clean[0]));
        }
    }

    [Fact]
    public void A_suite_noise_cannot_reach_gets_whole_clean_groups()
    {
        var reward = new CompositeReward((new OutcomeReward(), 1.0));
        var planner = new RolloutPlanner([new EchoSuite("plain", withTagTool: false), new EchoSuite("tagged")], new AgentRlOptions { GroupSize = 8, Seed = 5 },
            t => reward.Compute(t), new GrpoAdvantageEstimator(),
            new NoiseCurriculum(new NoiseCurriculumOptions { NoisyFraction = 0.5, Seed = 2 }), scheduler: null);
        for (int g = 0; g < 10; g++)
        {
            var request = planner.Next();
            Assert.Equal(request.Suite == "plain" ? 0 : 4, request.Noisy.Count(n => n));
        }
    }

    [Fact]
    public void Without_shared_seeds_every_rollout_draws_its_own()
    {
        var planner = Planner(shared: false);
        for (int g = 0; g < 20; g++)
        {
            var request = planner.Next();
            Assert.Equal(request.GroupSize, request.EpisodeSeeds.Distinct().Count());
        }
    }

    private static RolloutPlanner ReplayPlanner(double fraction, int capacity = 64, int maxReplays = 8)
    {
        var reward = new CompositeReward((new OutcomeReward(), 1.0));
        return new RolloutPlanner([new EchoSuite("echo1"), new EchoSuite("echo2")],
            new AgentRlOptions { GroupSize = 4, Seed = 5, ReplayFraction = fraction, ReplayCapacity = capacity, MaxReplays = maxReplays },
            t => reward.Compute(t), new GrpoAdvantageEstimator(), curriculum: null, scheduler: null);
    }

    /// <summary>The group's trajectories, the first <paramref name="successes"/> of them successful.</summary>
    private static Trajectory[] Runs(RolloutRequest request, int successes) => Runs(request, i => i < successes);

    /// <summary>The group's trajectories, rollout <c>i</c> successful when <paramref name="success"/> says so.</summary>
    private static Trajectory[] Runs(RolloutRequest request, Func<int, bool> success) =>
        [.. Enumerable.Range(0, request.GroupSize).Select(i => new Trajectory(new AgentTask("t", request.Suite, "Say a."), request.EpisodeSeeds[i], [],
            [1, 2], [false, true], [0, -0.5f], 1, 0, new Dictionary<string, double> { ["success"] = success(i) ? 1 : 0 }, EpisodeEnd.Done, 1, []))];

    [Fact]
    public void A_partly_solved_task_is_replayed_until_a_group_solves_it_in_every_rollout()
    {
        var planner = ReplayPlanner(fraction: 1);
        var first = planner.Next();
        planner.Build(first, Runs(first, successes: 2), policyVersion: 0);
        Assert.Equal(new ReplayEntry(first.Suite, first.TaskSeed, 0), Assert.Single(planner.Replay));

        // With a replay share of 1, the next groups play that task again, with new episode seeds.
        var again = planner.Next();
        Assert.Equal((first.Suite, first.TaskSeed), (again.Suite, again.TaskSeed));
        Assert.NotEqual(first.EpisodeSeeds[0], again.EpisodeSeeds[0]);
        Assert.Equal(1, Assert.Single(planner.Replay).Replays);

        planner.Build(again, Runs(again, successes: 4), policyVersion: 0);
        Assert.Empty(planner.Replay);
        Assert.NotEqual(first.TaskSeed, planner.Next().TaskSeed);
    }

    [Fact]
    public void Tasks_solved_in_no_rollout_or_all_are_not_kept_and_the_buffer_is_bounded()
    {
        var planner = ReplayPlanner(fraction: 0.5, capacity: 3, maxReplays: 2);
        var none = planner.Next();
        planner.Build(none, Runs(none, successes: 0), policyVersion: 0);
        var all = planner.Next();
        planner.Build(all, Runs(all, successes: 4), policyVersion: 0);
        Assert.Empty(planner.Replay);

        var requests = Enumerable.Range(0, 5).Select(_ => planner.Next()).ToArray();
        foreach (var r in requests) planner.Build(r, Runs(r, successes: 1), policyVersion: 0);
        Assert.Equal(3, planner.Replay.Count);
        // Oldest first out: the last three distinct tasks stay.
        var kept = requests.Select(r => r.TaskSeed).Distinct().TakeLast(3).ToArray();
        Assert.Equal(kept, planner.Replay.Select(e => e.TaskSeed));
    }

    [Fact]
    public void A_task_leaves_the_buffer_after_its_last_allowed_replay()
    {
        var planner = ReplayPlanner(fraction: 1, maxReplays: 2);
        var request = planner.Next();
        planner.Build(request, Runs(request, successes: 1), policyVersion: 0);
        for (int replay = 1; replay <= 2; replay++)
        {
            var again = planner.Next();
            Assert.Equal(request.TaskSeed, again.TaskSeed);
            planner.Build(again, Runs(again, successes: 1), policyVersion: 0);
        }
        Assert.Empty(planner.Replay);
    }

    [Fact]
    public void Without_replay_the_planner_draws_exactly_as_before()
    {
        // Replay off consumes no random numbers: the same seeds as a planner that never heard of replay.
        var off = ReplayPlanner(fraction: 0);
        var reference = ReplayPlanner(fraction: 0);
        for (int g = 0; g < 10; g++)
        {
            var a = off.Next();
            off.Build(a, Runs(a, successes: 2), policyVersion: 0);
            Assert.Equal(reference.Next().TaskSeed, a.TaskSeed);
        }
        Assert.Empty(off.Replay);
    }

    [Fact]
    public void The_replay_buffer_is_part_of_the_run_state()
    {
        var state = new AgentRlState(3, [1, 2, 3, 4], 0, null, null, [], 7, [new ReplayEntry("echo1", 42, 1), new ReplayEntry("echo2", 43, 0)]);
        var back = System.Text.Json.JsonSerializer.Deserialize<AgentRlState>(System.Text.Json.JsonSerializer.Serialize(state))!;
        Assert.Equal(state.Replay!, back.Replay!);
    }

    /// <summary>The group's trajectories: the first <paramref name="cleanSuccesses"/> of its clean and <paramref name="noisySuccesses"/> of its noisy rollouts succeed.</summary>
    private static Trajectory[] Runs(RolloutRequest request, int cleanSuccesses, int noisySuccesses) =>
        Runs(request, i => request.Noisy.Take(i + 1).Count(n => n == request.Noisy[i]) <= (request.Noisy[i] ? noisySuccesses : cleanSuccesses));

    [Fact]
    public void The_difficulty_filter_keeps_the_loss_of_mostly_failed_subgroups_only()
    {
        var planner = Planner(maxSubgroupSuccess: 0.5);
        var request = planner.Next();
        Assert.Equal(4, request.Noisy.Count(n => n));
        // Clean: 3 of 4 succeed (above the cap, no loss); noisy: 1 of 4 (kept, the rare success pushed up).
        var group = planner.Build(request, Runs(request, cleanSuccesses: 3, noisySuccesses: 1), policyVersion: 0);
        Assert.False(group.Dropped);
        Assert.All(group.Rollouts.Where(r => !r.Noisy), r => Assert.Equal(0, r.Advantage));
        Assert.All(group.Rollouts.Where(r => r.Noisy), r => Assert.NotEqual(0, r.Advantage));
        Assert.True(group.Rollouts.Single(r => r.Noisy && r.Trajectory.Success).Advantage > 0);

        // Exactly at the cap a subgroup keeps its loss; above it on both sides the group is dropped.
        var half = planner.Next();
        Assert.All(planner.Build(half, Runs(half, cleanSuccesses: 2, noisySuccesses: 3), policyVersion: 0).Rollouts.Where(r => !r.Noisy),
            r => Assert.NotEqual(0, r.Advantage));
        var easy = planner.Next();
        Assert.True(planner.Build(easy, Runs(easy, cleanSuccesses: 3, noisySuccesses: 3), policyVersion: 0).Dropped);
    }

    [Fact]
    public void Without_the_difficulty_filter_a_mostly_solved_subgroup_keeps_its_loss()
    {
        var planner = Planner(maxSubgroupSuccess: 1);
        var request = planner.Next();
        var group = planner.Build(request, Runs(request, cleanSuccesses: 3, noisySuccesses: 4), policyVersion: 0);
        Assert.False(group.Dropped);
        Assert.All(group.Rollouts.Where(r => !r.Noisy), r => Assert.NotEqual(0, r.Advantage));
        Assert.All(group.Rollouts.Where(r => r.Noisy), r => Assert.Equal(0, r.Advantage));
    }
}
