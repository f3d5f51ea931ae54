using Agentic.Core.Agents;
using Agentic.Rl.Rewards;
using Agentic.Training.Tasks.LongContext;
using FsCheck;
using FsCheck.Xunit;
using Microsoft.Extensions.AI;
using static Agentic.Rl.Tests.Rewards.Trajectories;

namespace Agentic.Rl.Tests.Rewards;

public sealed class ExitTimingRewardTests
{
    // The asked key's code is in section 2; section 1 holds another key's code.
    private static readonly LongContextTask TwoKeys = new("lc2", "What is the special code for delta?", 2, LongContextQuestion.MultiKey,
        ["A river. The special code for amber is 227323. A mill.", "A road. The special code for delta is 558102. A song."], "558102", [1]);

    private static Dictionary<string, double> After(double chunks) => new() { ["success"] = 0, ["exit_after_evidence"] = chunks };

    [Fact]
    public void An_answer_before_the_evidence_scores_minus_one_and_an_answer_right_after_it_zero()
    {
        var reward = new ExitTimingReward();
        Assert.Equal(-1, reward.Score(Make(info: After(-1))));
        Assert.Equal(0, reward.Score(Make(info: After(0))));
        Assert.Equal(0, reward.Score(Make(info: After(3))));
        Assert.Equal(0, reward.Score(Make(info: new Dictionary<string, double> { ["success"] = 1 })));
    }

    [Property(MaxTest = 200)]
    public void Reading_on_costs_the_late_penalty_per_chunk_down_to_minus_one(NonNegativeInt chunks, byte penalty)
    {
        double late = penalty / 255.0;
        double score = new ExitTimingReward(new ExitTimingRewardOptions { LatePenaltyPerChunk = late }).Score(Make(info: After(chunks.Get)));
        Assert.Equal(-Math.Min(1, late * chunks.Get), score, 12);
        Assert.InRange(score, -1, 0);
    }

    [Fact]
    public async Task The_longcontext_environment_reports_the_exit_that_the_term_scores()
    {
        var reward = new ExitTimingReward();
        async Task<double> Play(params string[] assistant)
        {
            var environment = new LongContextEnvironment();
            var messages = (await environment.ResetAsync(TwoKeys, seed: 3)).ToList();
            EnvironmentStep step = null!;
            foreach (var text in assistant)
            {
                messages.Add(new ChatMessage(ChatRole.Assistant, text));
                step = await environment.StepAsync(new AgentAction(new ChatMessage(ChatRole.Assistant, text), [], []));
                messages.AddRange(step.Observation);
            }
            Assert.True(step.Done);
            return reward.Score(Make(messages, reward: step.Reward, info: step.Info, task: TwoKeys));
        }

        // The guess from section 1 (another key's code) against the answer after section 2, both wrong.
        Assert.Equal(-1, await Play("<memory>The special code for amber is 227323</memory>\n<answer>227323</answer>"));
        Assert.Equal(0, await Play("<memory>The special code for amber is 227323</memory>", "<memory>x</memory>\n<answer>558120</answer>"));
    }

    [Fact]
    public void The_default_shaping_leaves_the_term_out_and_a_weight_adds_it()
    {
        Assert.DoesNotContain(RewardShaping.Default("longcontext").Terms, t => t.Shaper is ExitTimingReward);
        var shaped = RewardShaping.Create(new RewardShapingOptions { Suite = "longcontext", ExitTimingWeight = 0.5 });
        Assert.Contains(shaped.Terms, t => t.Shaper is ExitTimingReward && t.Weight == 0.5);
        Assert.Throws<System.ComponentModel.DataAnnotations.ValidationException>(() => new ExitTimingReward(new ExitTimingRewardOptions { LatePenaltyPerChunk = 1.5 }));
        Assert.Throws<System.ComponentModel.DataAnnotations.ValidationException>(() => new ExitTimingReward(new ExitTimingRewardOptions { InfoKey = " " }));
    }
}
