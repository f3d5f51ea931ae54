using Agentic.Core.ChatCompletion;
using Agentic.Core.Agents;
using Agentic.Training.Noise;
using Agentic.Training.Tasks.ToolUse;
using Microsoft.Extensions.AI;

namespace Agentic.Samples.NoisyAgent;

/// <summary>What one noisy run showed.</summary>
internal sealed record DemoRun(string Request, string NoisyRequest, IReadOnlyList<NoiseInjection> Injections,
    IReadOnlyList<ChatMessage> Conversation, string Answer, bool Success);

/// <summary>
/// Chaos testing of a Microsoft.Extensions.AI agent, no training involved: the agent is any <see cref="IChatClient"/>
/// with <c>UseFunctionInvocation()</c>; its real tools are wrapped with <see cref="NoisyAIFunction"/> (failures,
/// timeouts, incomplete, misleading, redundant and drifted results), and the environment's simulated customer (an
/// <see cref="IChatClient"/>) is wrapped with <see cref="NoisyUserChatClient"/> (typos, redundancy, omitted details the
/// agent must ask for, corrections...). Every injection is reported.
/// </summary>
internal static class NoisyAgentDemo
{
    /// <summary>Runs <paramref name="agentPolicy"/> on <paramref name="count"/> tasks of the tooluse world under the given noise.</summary>
    public static async Task<IReadOnlyList<DemoRun>> RunAsync(IChatClient agentPolicy, NoiseLevel level, int count, ulong seed, CancellationToken cancellationToken = default)
    {
        var suite = new ToolUseSuite();
        var runs = new List<DemoRun>();
        foreach (var (task, index) in suite.HeldOut(count).Select((t, i) => (t, (ulong)i)))
        {
            var environment = (ToolUseEnvironment)suite.CreateEnvironment();
            var injections = new List<NoiseInjection>();
            ValueTask Record(NoiseInjectedArguments args)
            {
                lock (injections) injections.Add(args.Injection);
                return ValueTask.CompletedTask;
            }

            // The simulated customer is an IChatClient too: user noise rewrites what it says (its details are the slots
            // the noise may withhold, blur or correct; the agent recovers them by asking).
            var userNoise = UserNoiseOptions.ForLevel(level, seed * 7919 + 2 * index);
            userNoise.OnNoiseInjected = Record;
            foreach (var (slot, value) in environment.GetUserSlots(task)) userNoise.Slots[slot] = value;
            environment.SimulatedUser = new ChatClientBuilder(environment.SimulatedUser).UseUserNoise(userNoise).Build();
            var opening = await environment.ResetAsync(task, seed, cancellationToken);
            var said = opening.Last(m => m.Role == ChatRole.User).Text;

            // The agent: the policy plus automatic function invocation over the real tools, each with tool noise.
            var toolNoise = ToolNoiseOptions.ForLevel(level, seed * 7919 + 2 * index + 1);
            toolNoise.OnNoiseInjected = Record;
            var tools = environment.Tools.Select(t => (AITool)t.WithNoise(toolNoise)).ToList();
            using var agent = new ChatClientBuilder(agentPolicy).UseFunctionInvocation(configure: f => f.MaximumIterationsPerRequest = 12).Build();
            var conversation = new List<ChatMessage>(opening);
            EnvironmentStep verdict;
            string answer;
            int rounds = 0;
            do
            {
                // A reply ending in '?' is a question to the customer, whose answer joins the conversation.
                var response = await agent.GetResponseAsync(conversation, new ChatOptions { Tools = tools }, cancellationToken);
                conversation.AddRange(response.Messages);
                answer = response.Text;
                verdict = await environment.StepAsync(new AgentAction(new ChatMessage(ChatRole.Assistant, answer), [], []), cancellationToken);
                conversation.AddRange(verdict.Observation);
            }
            while (!verdict.Done && ++rounds < 6);
            runs.Add(new DemoRun(task.Instruction, said, injections, conversation, answer, verdict.Info.TryGetValue("success", out var success) && success > 0));
        }
        return runs;
    }

    /// <summary>A simulated user that states its request.</summary>
    private sealed class ScriptedUser(string request) : ScriptedChatClient
    {
        protected override ChatMessage Respond(IReadOnlyList<ChatMessage> messages, ChatOptions? options) => new(ChatRole.Assistant, request);
    }
}
