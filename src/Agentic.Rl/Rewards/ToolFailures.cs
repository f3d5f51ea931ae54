using System.Text.Json;
using System.Text.Json.Nodes;
using Agentic.Core.Agents;
using Microsoft.Extensions.AI;

namespace Agentic.Rl.Rewards;

/// <summary>
/// Recognises failed tool calls in a trajectory: a result that is an error object <c>{"error": ...}</c> (the in-band
/// failure and timeout of tool noise, or a tool's refusal) or text starting with <c>Error:</c> (the agent loop's
/// timeouts, tool exceptions and unknown tools), plus the failure events <c>tool_timeout</c>, <c>tool_error</c> and
/// <c>noise:tool:Failure</c>/<c>noise:tool:Timeout</c>.
/// </summary>
internal static class ToolFailures
{
    /// <summary>Whether a tool result reads as a failure.</summary>
    public static bool IsFailure(object? result)
    {
        switch (result)
        {
            case null:
                return false;
            case string text:
                return IsFailureText(text);
            case JsonElement element:
                return IsFailureElement(element);
            case JsonNode node:
                return node is JsonObject obj ? obj.ContainsKey("error") : node is JsonValue v && v.TryGetValue(out string? s) && IsFailureText(s);
            case TextContent content:
                return IsFailureText(content.Text);
            case Exception:
                return true;
            default:
                try
                {
                    return IsFailureElement(JsonSerializer.SerializeToElement(result, AIJsonUtilities.DefaultOptions));
                }
                catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException)
                {
                    return false;
                }
        }
    }

    /// <summary>
    /// The turns at which each tool failed, and the turns at which each succeeded. A result belongs to the turn of the
    /// assistant message that made its call; events carry their own turn.
    /// </summary>
    public static (Dictionary<string, List<int>> Failures, Dictionary<string, List<int>> Successes) Timeline(Trajectory trajectory)
    {
        var failures = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var successes = new Dictionary<string, List<int>>(StringComparer.Ordinal);
        var calls = new Dictionary<string, (string Tool, int Turn)>(StringComparer.Ordinal);
        int turn = -1;
        foreach (var message in trajectory.Messages)
        {
            if (message.Role == ChatRole.Assistant) turn++;
            foreach (var content in message.Contents)
            {
                if (content is FunctionCallContent call) calls[call.CallId] = (call.Name, Math.Max(turn, 0));
                else if (content is FunctionResultContent result && calls.TryGetValue(result.CallId, out var made))
                {
                    Add(IsFailure(result.Exception) || IsFailure(result.Result) ? failures : successes, made.Tool, made.Turn);
                }
            }
        }
        foreach (var e in trajectory.Events)
        {
            if (e.Kind is RewardEventKinds.ToolTimeout) Add(failures, e.Detail.Trim(), e.Turn);
            else if (e.Kind is RewardEventKinds.ToolError) Add(failures, ToolOf(e.Detail), e.Turn);
            else if (IsNoiseFailure(e.Kind)) Add(failures, ToolOf(e.Detail), e.Turn);
        }
        // A call of a tool that does not exist is an invalid action (see InvalidActionPenalty), not a failure to retry.
        foreach (var e in trajectory.Events.Where(e => e.Kind == RewardEventKinds.UnknownTool)) failures.Remove(e.Detail.Trim());
        return (failures, successes);
    }

    /// <summary><c>noise:tool:Failure</c> or <c>noise:tool:Timeout</c> (NoisyEnvironment), also spelled <c>noise:tool_failure</c>.</summary>
    private static bool IsNoiseFailure(string kind)
    {
        if (!kind.StartsWith("noise:tool", StringComparison.Ordinal)) return false;
        var rest = kind["noise:tool".Length..].TrimStart(':', '_');
        return rest.Equals("Failure", StringComparison.OrdinalIgnoreCase) || rest.Equals("Timeout", StringComparison.OrdinalIgnoreCase);
    }

    private static string ToolOf(string detail)
    {
        int colon = detail.IndexOf(':', StringComparison.Ordinal);
        return (colon < 0 ? detail : detail[..colon]).Trim();
    }

    private static void Add(Dictionary<string, List<int>> map, string tool, int turn)
    {
        if (!map.TryGetValue(tool, out var turns)) map[tool] = turns = [];
        turns.Add(turn);
    }

    private static bool IsFailureText(string? text)
    {
        if (text is null) return false;
        var trimmed = text.TrimStart();
        if (trimmed.StartsWith("Error:", StringComparison.OrdinalIgnoreCase)) return true;
        if (!trimmed.StartsWith('{')) return false;
        try
        {
            using var document = JsonDocument.Parse(trimmed);
            return IsFailureElement(document.RootElement);
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static bool IsFailureElement(JsonElement element) => element.ValueKind switch
    {
        JsonValueKind.Object => element.TryGetProperty("error", out _),
        JsonValueKind.String => IsFailureText(element.GetString()),
        _ => false,
    };
}
