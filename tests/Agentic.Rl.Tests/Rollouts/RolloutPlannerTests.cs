using Agentic.Core.Agents;
using Agentic.Rl.Advantages;
using Agentic.Rl.Rewards;
using Agentic.Rl.Rollouts;
using Agentic.Training.Noise;

#pragma warning disable AGENTIC030

namespace Agentic.Rl.Tests.Rollouts;

public sealed class RolloutPlannerTests
{
    private static RolloutPlanner Planner(bool shared)
    {
        var reward = new CompositeReward((new OutcomeReward(), 1.0));
        return new RolloutPlanner([new EchoSuite("echo")], new AgentRlOptions { GroupSize = 8, Seed = 5, SharedEpisodeSeeds = shared },
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
    public void Without_shared_seeds_every_rollout_draws_its_own()
    {
        var planner = Planner(shared: false);
        for (int g = 0; g < 20; g++)
        {
            var request = planner.Next();
            Assert.Equal(request.GroupSize, request.EpisodeSeeds.Distinct().Count());
        }
    }
}
