using Agentic.Core.Agents;
using Agentic.Core.Randomness;
using Agentic.Training.Noise;
using Agentic.Training.Tasks.ToolUse;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Microsoft.Extensions.AI;

namespace Agentic.Training.Tests.Tasks.ToolUse;

[Properties(Replay = "(678737813509928,2925868393)")]
public class ToolUseCustomerTests
{
    private static ToolUseTask Task(ToolUseGoal goal) =>
        new ToolUseSuite().SampleTraining(new DeterministicRandom(11), 200).Cast<ToolUseTask>().First(t => t.Goal == goal);

    private static Task<string> Say(ToolUseTask task, params string[] agent)
    {
        var view = new List<ChatMessage> { new(ChatRole.System, ToolUseCustomer.Brief(task)), new(ChatRole.User, "Hi! How can I help you today?") };
        foreach (var line in agent)
        {
            view.Add(new ChatMessage(ChatRole.Assistant, "(earlier reply)"));
            view.Add(new ChatMessage(ChatRole.User, line));
        }
        return new ToolUseCustomer().GetResponseAsync(view).ContinueWith(r => r.Result.Text, TaskScheduler.Default);
    }

    [Fact]
    public async Task The_customer_opens_with_the_instruction_word_for_word_and_answers_questions_about_its_details()
    {
        var task = Task(ToolUseGoal.CancelOrder);
        Assert.Equal(task.Instruction, await Say(task));
        Assert.Equal($"My item is {task.Argument}.", await Say(task, "Which item is it about?"));
        Assert.Equal($"My name is {task.CustomerName}. My item is {task.Argument}.", await Say(task, "Could you tell me the name and the item?"));
        Assert.Equal(task.Instruction, await Say(task, "Sorry, what exactly would you like me to do?"));

        var change = Task(ToolUseGoal.UpdateEmail);
        Assert.Equal($"My new email is {change.Argument}.", await Say(change, "What is the new email address?"));
        Assert.Equal(new Dictionary<string, string> { ["name"] = change.CustomerName, ["new email"] = change.Argument! }, change.UserSlots);
    }

    [Fact]
    public async Task A_reply_ending_with_a_question_mark_asks_the_customer_and_any_other_reply_is_final()
    {
        var suite = new ToolUseSuite();
        var task = Task(ToolUseGoal.CustomerEmail);
        var environment = suite.CreateEnvironment();
        var opening = await environment.ResetAsync(task, 0);
        Assert.Equal(task.Instruction, opening[^1].Text);

        var question = await environment.StepAsync(new AgentAction(new ChatMessage(ChatRole.Assistant, "Could you tell me the name? "), [], []));
        Assert.False(question.Done);
        Assert.Equal(ChatRole.User, Assert.Single(question.Observation).Role);
        Assert.Equal($"My name is {task.CustomerName}.", question.Observation[0].Text);

        var final = await environment.StepAsync(new AgentAction(new ChatMessage(ChatRole.Assistant, "I do not know."), [], []));
        Assert.True(final.Done);
        Assert.Equal(0, final.Info["success"]);
        Assert.True(ToolUseEnvironment.IsQuestion("Which one?"));
        Assert.False(ToolUseEnvironment.IsQuestion("Done."));
    }

    [Fact]
    public async Task A_withheld_slot_is_revealed_after_the_experts_question_and_the_task_is_solved()
    {
        var suite = new ToolUseSuite();
        var tasks = suite.SampleTraining(new DeterministicRandom(12), 40);
        var episodes = tasks.Select((t, i) =>
        {
            var userNoise = new UserNoiseOptions { InjectionRate = 1 }.Seed((ulong)i);
            userNoise.KindWeights.Clear();
            userNoise.KindWeights[UserNoiseKind.ContextOmission] = 1;
            return new AgentEpisode(new NoisyEnvironment(suite.CreateEnvironment(), null, userNoise), t, (ulong)i);
        }).ToArray();

        var trajectories = await new AgentLoop(new ToolUseExpert(), new AgentLoopOptions { MaxTurns = 10 }).RunAsync(episodes);

        Assert.All(trajectories, t =>
        {
            var omission = Assert.Single(t.Events, e => e.Kind == "noise:user:ContextOmission");
            Assert.Equal(0, omission.Turn);
            string slot = ((ToolUseTask)t.Task).UserSlots.Keys.Single(s => omission.Detail.Contains($"withheld {s} (", StringComparison.Ordinal));
            string value = ((ToolUseTask)t.Task).UserSlots[slot];
            Assert.DoesNotContain(value, t.Messages[1].Text, StringComparison.Ordinal);
            // The expert's question names the slot; the customer's next message reveals the value.
            int asked = t.Messages.ToList().FindIndex(m => m.Role == ChatRole.Assistant && ToolUseEnvironment.IsQuestion(m.Text) && m.Text.Contains(slot, StringComparison.Ordinal));
            Assert.True(asked > 0, string.Join(" | ", t.Messages.Select(m => m.Text)));
            Assert.Contains($"My {slot} is {value}.", t.Messages[asked + 1].Text, StringComparison.Ordinal);
            Assert.True(t.Success, string.Join(" | ", t.Messages.Select(m => m.Text)));
            Assert.Equal(t.Task.Difficulty + 2, t.Turns);
        });
    }

    [Property(MaxTest = 60)]
    public async Task<Property> Whatever_single_kind_of_user_noise_hits_every_customer_message_the_expert_solves_the_task(int taskSeed, int noiseSeed, NonNegativeInt kindIndex)
    {
        var kinds = Enum.GetValues<UserNoiseKind>();
        var kind = kinds[kindIndex.Get % kinds.Length];
        var suite = new ToolUseSuite();
        var task = suite.SampleTraining(new DeterministicRandom((ulong)(uint)taskSeed), 1)[0];
        var userNoise = new UserNoiseOptions { InjectionRate = 1 }.Seed((ulong)(uint)noiseSeed);
        userNoise.KindWeights.Clear();
        userNoise.KindWeights[kind] = 1;
        var environment = new NoisyEnvironment(suite.CreateEnvironment(), null, userNoise);

        var trajectory = (await new AgentLoop(new ToolUseExpert(), new AgentLoopOptions { MaxTurns = 12 }).RunAsync([new AgentEpisode(environment, task, 0)]))[0];

        return trajectory.Success.Label($"{kind}: {string.Join(" | ", trajectory.Messages.Select(m => m.Text))}");
    }
}
