using Agentic.Rl.Rewards;
using Agentic.Training.Tasks.SearchQa;
using Microsoft.Extensions.AI;

namespace Agentic.Rl.Tests.Rewards;

public sealed class RetrievalRewardTests
{
    private static readonly SearchQaTask Task = new("q1", "Where was Ada Varga born?", 1, 3, SearchQaQuestion.BirthCity, "Ada Varga", "Lisbon");

    private static Dictionary<string, double> Info(double em, double f1, double goldInRefine) => new()
    {
        ["success"] = em,
        ["answer_em"] = em,
        ["answer_f1"] = f1,
        ["gold_in_refine"] = goldInRefine,
        ["format_ok"] = 1,
    };

    [Fact]
    public void PositiveF1_IsTheScore() => Assert.Equal(0.5, new RetrievalReward().Score(Trajectories.Make(info: Info(0, 0.5, 1))));

    [Fact]
    public void ExactMatchOption_ScoresByExactMatch()
    {
        var shaper = new RetrievalReward(new RetrievalRewardOptions { UseExactMatch = true });
        Assert.Equal(0.1, shaper.Score(Trajectories.Make(info: Info(0, 0.5, 1))));
        Assert.Equal(1, shaper.Score(Trajectories.Make(info: Info(1, 1, 0))));
    }

    [Fact]
    public void ZeroAnswer_GoldInRefine_ScoresTheRefineCredit()
    {
        Assert.Equal(0.1, new RetrievalReward().Score(Trajectories.Make(info: Info(0, 0, 1))));
        Assert.Equal(0.25, new RetrievalReward(new RetrievalRewardOptions { RefineCredit = 0.25 }).Score(Trajectories.Make(info: Info(0, 0, 1))));
    }

    [Fact]
    public void ZeroAnswer_GoldNotInRefine_ScoresZero() => Assert.Equal(0, new RetrievalReward().Score(Trajectories.Make(info: Info(0, 0, 0))));

    [Fact]
    public void WithoutInfo_ScansTheRefineBlocksForTheTaskGoldAnswer()
    {
        var messages = new List<ChatMessage>
        {
            new(ChatRole.User, Task.Instruction),
            new(ChatRole.Assistant, "<search> Ada Varga </search>"),
            new(ChatRole.Tool, "<documents>(1) Ada Varga: born in Lisbon.</documents>"),
            new(ChatRole.Assistant, "<refine> Ada Varga was born in Lisbon. </refine><answer> Porto </answer>"),
        };
        Assert.Equal(0.1, new RetrievalReward().Score(Trajectories.Make(messages, task: Task)));
    }

    [Fact]
    public void WithoutInfo_GoldOnlyInTheDocuments_ScoresZero()
    {
        var messages = new List<ChatMessage>
        {
            new(ChatRole.Assistant, "<search> Ada Varga </search>"),
            new(ChatRole.Tool, "<documents>(1) Ada Varga: born in Lisbon.</documents>"),
            new(ChatRole.Assistant, "<refine> nothing useful </refine><answer> Porto </answer>"),
        };
        Assert.Equal(0, new RetrievalReward().Score(Trajectories.Make(messages, task: Task)));
    }

    [Fact]
    public void WithoutInfo_ScoresTheLastAnswerAgainstTheGold()
    {
        var messages = new List<ChatMessage> { new(ChatRole.Assistant, "<refine> Lisbon </refine><answer> lisbon </answer>") };
        Assert.Equal(1, new RetrievalReward().Score(Trajectories.Make(messages, task: Task)));
    }

    [Fact]
    public void WithoutInfoOrGold_ScoresZero()
    {
        var messages = new List<ChatMessage> { new(ChatRole.Assistant, "<refine> Lisbon </refine><answer> Lisbon </answer>") };
        Assert.Equal(0, new RetrievalReward().Score(Trajectories.Make(messages)));
    }

    [Fact]
    public void InvalidRefineCredit_Throws() =>
        Assert.Throws<System.ComponentModel.DataAnnotations.ValidationException>(() => new RetrievalReward(new RetrievalRewardOptions { RefineCredit = 2 }));
}
