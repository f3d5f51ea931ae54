using System.Text.Json;
using Agentic.Core.Agents;
using Microsoft.Extensions.AI;

namespace Agentic.Rl.Tests.Rewards;

/// <summary>Hand-built trajectories for the reward tests.</summary>
internal static class Trajectories
{
    public static Trajectory Make(
        IReadOnlyList<ChatMessage>? messages = null,
        double reward = 0,
        IReadOnlyDictionary<string, double>? info = null,
        EpisodeEnd end = EpisodeEnd.Done,
        IReadOnlyList<TrajectoryEvent>? events = null,
        AgentTask? task = null,
        bool[]? lossMask = null)
    {
        lossMask ??= [];
        messages ??= [new ChatMessage(ChatRole.User, "question"), new ChatMessage(ChatRole.Assistant, "answer")];
        return new Trajectory(
            task ?? new AgentTask("t1", "tooluse", "Do the thing."),
            Seed: 7,
            messages,
            TokenIds: [.. lossMask.Select((_, i) => i)],
            LossMask: lossMask,
            LogProbs: new float[lossMask.Length],
            PromptLength: 0,
            reward,
            info ?? new Dictionary<string, double>(),
            end,
            Turns: messages.Count(m => m.Role == ChatRole.Assistant),
            events ?? []);
    }

    public static Dictionary<string, double> Success(bool success) => new() { ["success"] = success ? 1 : 0 };

    public static ChatMessage Call(string callId, string tool) =>
        new(ChatRole.Assistant, [new FunctionCallContent(callId, tool, new Dictionary<string, object?> { ["id"] = "42" })]);

    public static ChatMessage Result(string callId, object? result) => new(ChatRole.Tool, [new FunctionResultContent(callId, result)]);

    /// <summary>The in-band failure of tool noise, as a <see cref="JsonElement"/>.</summary>
    public static JsonElement NoiseFailure(int status = 429) =>
        JsonSerializer.SerializeToElement(new { error = new { status, code = "too_many_requests", message = "Retry the call.", retryable = true } });

    public static JsonElement Ok() => JsonSerializer.SerializeToElement(new { order_id = "42", status = "shipped" });
}
