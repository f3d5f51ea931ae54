using Agentic.Core.Agents;
using Agentic.Core.Randomness;
using Agentic.Rl.Rewards;
using Agentic.Training.Tasks.LongContext;
using Microsoft.Extensions.AI;
using static Agentic.Rl.Tests.Rewards.Trajectories;

namespace Agentic.Rl.Tests.Rewards;

public sealed class MemoryEvidenceRewardTests
{
    // Two-hop tracking: the first fact in section 1, the second in section 2.
    private static readonly LongContextTask Task = new("lc1", "Which number does VAR Y hold?", 2, LongContextQuestion.VariableTracking,
        ["A river. VAR X = 558102. A mill.", "A road. VAR Y = VAR X. A song."], "558102", [0, 1])
    {
        EvidenceFacts = ["VAR X = 558102", "VAR Y = VAR X"],
    };

    private static double Score(params string[] assistant)
    {
        var messages = new List<ChatMessage> { new(ChatRole.User, $"<problem>{Task.Instruction}</problem><section>{Task.Chunks[0]}</section>") };
        for (int i = 0; i < assistant.Length; i++)
        {
            messages.Add(new ChatMessage(ChatRole.Assistant, assistant[i]));
            if (i + 1 < Task.Chunks.Count) messages.Add(new ChatMessage(ChatRole.User, $"<section>{Task.Chunks[i + 1]}</section>"));
        }
        return new MemoryEvidenceReward().Score(Make(messages, task: Task));
    }

    [Fact]
    public void A_memory_that_keeps_every_fact_read_so_far_verbatim_scores_one()
    {
        Assert.Equal(1, Score("<memory>VAR X = 558102</memory>", "<memory>VAR X = 558102; VAR Y = VAR X</memory>\n<answer>558102</answer>"));
    }

    [Fact]
    public void Each_message_is_scored_on_the_facts_read_before_it_and_the_score_is_their_mean()
    {
        // Turn 1 keeps its one fact (1); turn 2 drops the first fact and keeps the second (1/2).
        Assert.Equal(0.75, Score("<memory>VAR X = 558102</memory>", "<memory>VAR Y = VAR X</memory><answer>558102</answer>"), 12);
        // A miscopied digit or key is not the fact.
        Assert.Equal(0.25, Score("<memory>VAR X = 558120</memory>", "<memory>VAR Y = VAR X; VAR X = 55810</memory>"), 12);
        // A fact outside the memory block (in the answer) does not count.
        Assert.Equal(0, Score("VAR X = 558102", "<answer>VAR X = 558102</answer>"));
    }

    [Fact]
    public void Facts_the_agent_only_wrote_itself_are_not_read_and_turns_before_any_evidence_are_not_scored()
    {
        var task = Task with { Chunks = ["Nothing here.", "A road. VAR X = 558102. VAR Y = VAR X."] };
        var messages = new List<ChatMessage>
        {
            new(ChatRole.User, "<section>Nothing here.</section>"),
            new(ChatRole.Assistant, "<memory>VAR X = 558102</memory>"), // not read yet: this turn is not scored
            new(ChatRole.User, $"<section>{task.Chunks[1]}</section>"),
            new(ChatRole.Assistant, "<memory>VAR X = 558102; VAR Y = VAR X</memory>"),
        };
        Assert.Equal(1, new MemoryEvidenceReward().Score(Make(messages, task: task)));
    }

    [Fact]
    public void No_evidence_read_or_a_task_without_evidence_scores_zero()
    {
        Assert.Equal(0, new MemoryEvidenceReward().Score(Make([new ChatMessage(ChatRole.User, "hi"), new ChatMessage(ChatRole.Assistant, "<memory>VAR X = 558102</memory>")], task: Task)));
        Assert.Equal(0, new MemoryEvidenceReward().Score(Make([new ChatMessage(ChatRole.Assistant, "<memory>x</memory>")])));
    }

    [Fact]
    public async Task The_scripted_experts_memory_scores_one_on_every_task()
    {
        var suite = new LongContextSuite();
        var tasks = suite.SampleTraining(new DeterministicRandom(5), 30).ToArray();
        var trajectories = await new AgentLoop(suite.CreateExpert(), new AgentLoopOptions { MaxTurns = 12 })
            .RunAsync(tasks.Select((t, i) => new AgentEpisode(suite.CreateEnvironment(), t, (ulong)i)).ToArray());
        var reward = new MemoryEvidenceReward();
        Assert.All(trajectories, t => Assert.Equal(1, reward.Score(t)));
    }

    [Fact]
    public void The_default_shaping_adds_the_term_only_with_a_weight_and_invalid_options_are_refused()
    {
        Assert.DoesNotContain(RewardShaping.Default("longcontext").Terms, t => t.Shaper is MemoryEvidenceReward);
        var shaped = RewardShaping.Create(new RewardShapingOptions { Suite = "longcontext", MemoryEvidenceWeight = 0.3 });
        Assert.Contains(shaped.Terms, t => t.Shaper is MemoryEvidenceReward && t.Weight == 0.3);
        Assert.Throws<System.ComponentModel.DataAnnotations.ValidationException>(() => new MemoryEvidenceReward(new MemoryEvidenceRewardOptions { MemoryTag = "a b" }));
        Assert.Throws<System.ComponentModel.DataAnnotations.ValidationException>(() => new MemoryEvidenceReward(new MemoryEvidenceRewardOptions { EvidenceFacts = null! }));
    }
}
