using Agentic.Core.Agents;
using Agentic.Core.Randomness;
using Agentic.Rl.Rewards;
using Agentic.Training.Tasks.LongContext;
using Microsoft.Extensions.AI;
using static Agentic.Rl.Tests.Rewards.Trajectories;

namespace Agentic.Rl.Tests.Rewards;

public sealed class StatedKeyRewardTests
{
    // A multi-key task: the asked key (delta) in section 2, another key (amber) in section 1.
    private static readonly LongContextTask Task = new("lc2", "What is the special code for delta?", 2, LongContextQuestion.MultiKey,
        ["A river. The special code for amber is 227323. A mill.", "A road. The special code for delta is 227859. A song."], "227859", [1])
    {
        EvidenceFacts = ["The special code for delta is 227859"],
    };

    private static double Score(LongContextTask task, params string[] assistant)
    {
        var messages = new List<ChatMessage> { new(ChatRole.User, $"<problem>{task.Instruction}</problem><section>{task.Chunks[0]}</section>") };
        for (int i = 0; i < assistant.Length; i++)
        {
            messages.Add(new ChatMessage(ChatRole.Assistant, assistant[i]));
            if (i + 1 < task.Chunks.Count) messages.Add(new ChatMessage(ChatRole.User, $"<section>{task.Chunks[i + 1]}</section>"));
        }
        return new StatedKeyReward().Score(Make(messages, task: task));
    }

    [Fact]
    public void Naming_the_asked_key_before_the_answer_scores_one_whatever_code_follows()
    {
        Assert.Equal(1, Score(Task, "<memory>The special code for amber is 227323</memory>",
            "<memory>The special code for amber is 227323; The special code for delta is 227859</memory>\nThe special code for delta is 227859\n<answer>227859</answer>"));
        // The code is the outcome's business: a miscopied code after the right key still names the key.
        Assert.Equal(1, Score(Task, "<memory></memory>", "<memory></memory>\nThe special code for delta is 227323\n<answer>227323</answer>"));
    }

    [Fact]
    public void Another_key_no_statement_a_statement_only_in_the_memory_or_no_answer_scores_zero()
    {
        // The early guess: another key's needle stated and answered.
        Assert.Equal(0, Score(Task, "<memory>The special code for amber is 227323</memory>\nThe special code for amber is 227323\n<answer>227323</answer>"));
        Assert.Equal(0, Score(Task, "<memory>The special code for delta is 227859</memory>", "<memory>The special code for delta is 227859</memory>\n<answer>227859</answer>"));
        Assert.Equal(0, Score(Task, "<memory></memory>", "<memory></memory>\nThe special code for delta is 227859"));
        // A statement after the answer does not count.
        Assert.Equal(0, Score(Task, "<memory></memory>", "<answer>227859</answer>\nThe special code for delta is 227859"));
        // A near-miss key is another key.
        Assert.Equal(0, Score(Task, "<memory></memory>", "The special code for deltas is 227859\n<answer>227859</answer>"));
    }

    [Fact]
    public void Variable_chains_and_tasks_of_other_suites_have_no_statement()
    {
        var chain = new LongContextTask("lc3", "Which number does VAR Y hold?", 2, LongContextQuestion.VariableTracking,
            ["VAR X = 558102.", "VAR Y = VAR X."], "558102", [0, 1]) { EvidenceFacts = ["VAR X = 558102", "VAR Y = VAR X"] };
        Assert.Equal(0, Score(chain, "<memory>VAR X = 558102</memory>", "<memory>VAR X = 558102; VAR Y = VAR X</memory>\nVAR X =\n<answer>558102</answer>"));
        Assert.Equal(0, new StatedKeyReward().Score(Make([new ChatMessage(ChatRole.Assistant, "The special code for delta is 1\n<answer>1</answer>")])));
    }

    [Fact]
    public async Task The_scripted_expert_names_the_asked_key_on_every_key_question()
    {
        var suite = new LongContextSuite(new LongContextSuiteOptions { Chunks = 2, ChunkCharacters = 200, DistractorNeedles = 1 });
        var tasks = suite.SampleTraining(new DeterministicRandom(7), 40).ToArray();
        var trajectories = await new AgentLoop(suite.CreateExpert(), new AgentLoopOptions { MaxTurns = 8 })
            .RunAsync(tasks.Select((t, i) => new AgentEpisode(suite.CreateEnvironment(), t, (ulong)i)).ToArray());
        var reward = new StatedKeyReward();
        Assert.All(trajectories, t => Assert.Equal(((LongContextTask)t.Task).Question == LongContextQuestion.VariableTracking ? 0 : 1, reward.Score(t)));
        Assert.Contains(trajectories, t => ((LongContextTask)t.Task).Question == LongContextQuestion.MultiKey);
    }

    [Fact]
    public void The_default_shaping_adds_the_term_only_with_a_weight_and_invalid_options_are_refused()
    {
        Assert.DoesNotContain(RewardShaping.Default("longcontext").Terms, t => t.Shaper is StatedKeyReward);
        var shaped = RewardShaping.Create(new RewardShapingOptions { Suite = "longcontext", StatedKeyWeight = 0.3 });
        Assert.Contains(shaped.Terms, t => t.Shaper is StatedKeyReward && t.Weight == 0.3);
        Assert.Throws<System.ComponentModel.DataAnnotations.ValidationException>(() => new StatedKeyReward(new StatedKeyRewardOptions { MemoryTag = "" }));
        Assert.Throws<System.ComponentModel.DataAnnotations.ValidationException>(() => new StatedKeyReward(new StatedKeyRewardOptions { Statement = null! }));
    }
}
