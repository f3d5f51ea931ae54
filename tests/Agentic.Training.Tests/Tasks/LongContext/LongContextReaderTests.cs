using Agentic.Core.Agents;
using Agentic.Core.Randomness;
using Agentic.Training.Tasks;
using Agentic.Training.Tasks.LongContext;
using Agentic.Training.Tests.Noise;
using Microsoft.Extensions.AI;

namespace Agentic.Training.Tests.Tasks.LongContext;

/// <summary>The reading suite's simulated user and how the environment frames what it writes.</summary>
public class LongContextReaderTests
{
    private static AgentAction Say(string text) => new(new ChatMessage(ChatRole.Assistant, text), [], []);

    [Fact]
    public async Task The_reader_opens_with_its_question_and_section_one_then_pastes_each_section_and_asks_for_the_answer()
    {
        var task = new LongContextSuite(new LongContextSuiteOptions { Chunks = 3 }).HeldOut(1).Cast<LongContextTask>().Single();
        var view = new List<ChatMessage> { new(ChatRole.System, LongContextReader.Brief(task)), new(ChatRole.User, "Ready.") };
        var reader = new LongContextReader();
        async Task<string> Next()
        {
            var reply = (await reader.GetResponseAsync(view)).Text;
            view.Add(new ChatMessage(ChatRole.Assistant, reply));
            view.Add(new ChatMessage(ChatRole.User, "<memory></memory>"));
            return reply;
        }

        Assert.Equal($"{task.Instruction}\n{task.Chunks[0]}", await Next());
        Assert.Equal(task.Chunks[1], await Next());
        Assert.Equal(task.Chunks[2], await Next());
        Assert.Equal(LongContextReader.LastSectionPrompt, await Next());
        Assert.Equal(LongContextReader.LastSectionPrompt, await Next());
    }

    [Fact]
    public async Task Clean_episodes_frame_the_question_and_every_chunk_exactly_as_the_task_holds_them()
    {
        var suite = new LongContextSuite(new LongContextSuiteOptions { Chunks = 4 });
        foreach (var task in suite.SampleTraining(new DeterministicRandom(9), 12).Cast<LongContextTask>())
        {
            var environment = suite.CreateEnvironment();
            var opening = await environment.ResetAsync(task, 0);
            Assert.Equal($"<problem>{task.Instruction}</problem>\n<section index=\"1\" of=\"4\">{task.Chunks[0]}</section>", opening[^1].Text);
            for (int i = 1; i < 4; i++)
            {
                var step = await environment.StepAsync(Say("<memory></memory>"));
                Assert.Equal($"<section index=\"{i + 1}\" of=\"4\">{task.Chunks[i]}</section>", Assert.Single(step.Observation).Text);
            }
            Assert.Equal(LongContextReader.LastSectionPrompt, Assert.Single((await environment.StepAsync(Say("<memory></memory>"))).Observation).Text);
        }
    }

    [Fact]
    public async Task Any_simulated_user_is_framed_the_first_line_as_the_problem_the_rest_as_sections_and_sees_the_agents_messages()
    {
        var task = new LongContextSuite(new LongContextSuiteOptions { Chunks = 2 }).HeldOut(1)[0];
        var user = new ScriptedUser("Which one?\nfirst part\nstill first", "second part", "Done, now answer.");
        var environment = new LongContextEnvironment { SimulatedUser = user };

        var opening = await environment.ResetAsync(task, 0);
        var second = await environment.StepAsync(Say("<memory>a</memory>"));
        var third = await environment.StepAsync(Say("<memory>b</memory>"));
        var end = await environment.StepAsync(Say("<answer>42</answer>"));

        Assert.Equal("<problem>Which one?</problem>\n<section index=\"1\" of=\"2\">first part\nstill first</section>", opening[^1].Text);
        Assert.Equal("<section index=\"2\" of=\"2\">second part</section>", Assert.Single(second.Observation).Text);
        Assert.Equal("Done, now answer.", Assert.Single(third.Observation).Text);
        Assert.True(end.Done);
        Assert.Equal(["<memory>a</memory>", "<memory>b</memory>"], user.Seen.Skip(1));
        Assert.Equal(3, user.Seen.Count); // the answer ends the episode without asking the user
    }

    [Fact]
    public void The_users_slots_are_the_asked_key_or_variable_and_bad_arguments_are_refused()
    {
        var suite = new LongContextSuite();
        var environment = suite.CreateEnvironment();
        foreach (var task in suite.SampleTraining(new DeterministicRandom(5), 30).Cast<LongContextTask>())
        {
            var (slot, value) = Assert.Single(environment.GetUserSlots(task));
            if (task.Question == LongContextQuestion.VariableTracking)
            {
                Assert.Equal("variable", slot);
                Assert.Matches(@"^VAR \w$", value);
            }
            else
            {
                Assert.Equal("key", slot);
                Assert.StartsWith($"The special code for {value} is ", task.EvidenceFacts[0], StringComparison.Ordinal);
            }
            Assert.Contains(value, task.Instruction, StringComparison.Ordinal);
        }
        Assert.Empty((new LongContextSuite().Create(3) with { Instruction = "Summarise the document." }).UserSlots);
        Assert.Throws<ArgumentException>(() => environment.GetUserSlots(new AgentTask("x", "tooluse", "x", 1)));
        Assert.Throws<ArgumentNullException>(() => environment.SimulatedUser = null!);
    }
}
