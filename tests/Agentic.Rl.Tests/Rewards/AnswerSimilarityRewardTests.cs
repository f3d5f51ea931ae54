using Agentic.Rl.Rewards;
using Agentic.Training.Tasks.LongContext;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Extensions.AI;
using static Agentic.Rl.Tests.Rewards.Trajectories;

namespace Agentic.Rl.Tests.Rewards;

[Properties(Replay = "(1296511346092768,4230078277)")]
public sealed class AnswerSimilarityRewardTests
{
    private static readonly LongContextTask Task = new("lc1", "What is the special code for granite?", 1, LongContextQuestion.SingleNeedle,
        ["The special code for granite is 558102."], "558102", [0]);

    private static double Score(string assistant, AnswerSimilarityRewardOptions? options = null) =>
        new AnswerSimilarityReward(options).Score(Make([new ChatMessage(ChatRole.User, Task.Instruction), new ChatMessage(ChatRole.Assistant, assistant)], task: Task));

    [Fact]
    public void The_exact_answer_scores_one_and_a_near_miss_scores_by_its_edits()
    {
        Assert.Equal(1, Score("<memory>granite 558102</memory><answer> 558102 </answer>"));
        Assert.Equal(5 / 6.0, Score("<answer>558109</answer>"), 12);
        Assert.Equal(4 / 6.0, Score("<answer>581020</answer>"), 12); // a dropped and an appended digit: two edits
        Assert.True(Score("<answer>558109</answer>") > Score("<answer>123456</answer>"));
    }

    [Fact]
    public void No_answer_block_or_no_gold_answer_scores_zero()
    {
        Assert.Equal(0, Score("<memory>558102</memory>"));
        Assert.Equal(0, new AnswerSimilarityReward().Score(Make([new ChatMessage(ChatRole.Assistant, "<answer>558102</answer>")])));
    }

    [Fact]
    public void The_last_answer_block_counts()
    {
        var trajectory = Make([new ChatMessage(ChatRole.Assistant, "<answer>000000</answer>"), new ChatMessage(ChatRole.User, "more"),
            new ChatMessage(ChatRole.Assistant, "<answer>558102</answer>")], task: Task);
        Assert.Equal(1, new AnswerSimilarityReward().Score(trajectory));
    }

    [Fact]
    public void An_answer_after_an_unretried_tool_failure_earns_nothing_unless_allowed()
    {
        var trajectory = Make([new ChatMessage(ChatRole.User, Task.Instruction), Call("c1", "search"), Result("c1", NoiseFailure()),
            new ChatMessage(ChatRole.Assistant, "<answer>558102</answer>")], task: Task);
        Assert.Equal(0, new AnswerSimilarityReward().Score(trajectory));
        Assert.Equal(1, new AnswerSimilarityReward(new AnswerSimilarityRewardOptions { CreditAfterUnretriedFailure = true }).Score(trajectory));
    }

    [Fact]
    public void The_default_shaping_adds_the_term_only_with_a_weight()
    {
        Assert.DoesNotContain(RewardShaping.Default("longcontext").Terms, t => t.Shaper is AnswerSimilarityReward);
        var shaped = RewardShaping.Create(new RewardShapingOptions { Suite = "longcontext", AnswerSimilarityWeight = 0.5 });
        var breakdown = shaped.Compute(Make([new ChatMessage(ChatRole.Assistant, "<answer>558109</answer>")], info: Success(false), task: Task));
        Assert.Equal(0.5 * 5 / 6.0, breakdown.Components[AnswerSimilarityReward.DefaultName], 12);
    }

    [Property(MaxTest = 300)]
    public Property Similarity_is_symmetric_in_zero_one_and_one_exactly_for_equal_strings() =>
        Prop.ForAll(Words.ToArbitrary(), Words.ToArbitrary(), (a, b) =>
        {
            double ab = AnswerSimilarityReward.Similarity(a, b);
            return ab == AnswerSimilarityReward.Similarity(b, a) && ab is >= 0 and <= 1 && (ab == 1) == (a == b && a.Length > 0);
        });

    [Property(MaxTest = 300)]
    public Property One_substitution_costs_one_over_the_length() =>
        Prop.ForAll(Words.Where(w => w.Length > 0).ToArbitrary(), Gen.Choose(0, 1000).ToArbitrary(), (word, at) =>
        {
            int i = at % word.Length;
            var changed = word[..i] + (word[i] == 'x' ? 'y' : 'x') + word[(i + 1)..];
            return Math.Abs(AnswerSimilarityReward.Similarity(word, changed) - (1 - 1.0 / word.Length)) < 1e-12;
        });

    private static Gen<string> Words { get; } = Gen.Elements('0', '1', '5', 'a', 'b', 'x', ' ').ListOf().Select(c => new string([.. c]));
}
