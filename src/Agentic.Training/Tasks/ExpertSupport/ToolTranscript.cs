using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.AI;

namespace Agentic.Training.Tasks.ExpertSupport;

/// <summary>What a tool call did, as far as its result shows.</summary>
internal enum ToolOutcome
{
    /// <summary>
    /// The call did not run: a transient failure (an <c>{"error": {...}}</c> object such as a rate limit or a timeout,
    /// an error text, or a result that is not JSON at all). Retrying it is safe.
    /// </summary>
    Failed,

    /// <summary>The tool ran and refused (a domain error such as <c>{"error": "unknown order_id"}</c>), or its result names none of the tool's success fields.</summary>
    Rejected,

    /// <summary>The tool ran and answered with at least one of its success fields; the values may still be noisy.</summary>
    Succeeded,
}

/// <summary>One tool call of the conversation and its result.</summary>
/// <param name="Index">Position of the call in the conversation (0 = first call).</param>
/// <param name="Tool">The tool's name.</param>
/// <param name="Arguments">The call's arguments.</param>
/// <param name="Json">The parsed result (null when it was not JSON).</param>
/// <param name="Outcome">What the call did.</param>
internal sealed record ToolExchange(int Index, string Tool, IDictionary<string, object?> Arguments, JsonNode? Json, ToolOutcome Outcome)
{
    /// <summary>Whether the tool ran and answered.</summary>
    public bool Succeeded => Outcome == ToolOutcome.Succeeded;

    /// <summary>The call's argument as text (case-insensitive name), or null.</summary>
    public string? Argument(string name) =>
        Arguments.FirstOrDefault(a => string.Equals(a.Key, name, StringComparison.OrdinalIgnoreCase)).Value switch
        {
            null => null,
            string s => s,
            JsonElement { ValueKind: JsonValueKind.String } e => e.GetString(),
            var other => other.ToString(),
        };

    /// <summary>Whether this is a call of <paramref name="tool"/> whose argument <paramref name="name"/> is <paramref name="value"/>.</summary>
    public bool Is(string tool, string name, string value) =>
        Tool == tool && string.Equals(Argument(name)?.Trim(), value.Trim(), StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// Replays the tool calls of a conversation with their results and classifies each one robustly (see
/// <see cref="ToolOutcome"/>). Tool noise keeps the keys of a real answer (up to renaming) and only ever removes a
/// third of them, so a result that still names one of the tool's success fields means the call ran.
/// </summary>
internal static class ToolTranscript
{
    /// <summary>Every tool call in <paramref name="messages"/> that has a result, in order.</summary>
    /// <param name="messages">The conversation.</param>
    /// <param name="successFields">Per tool, the fields of its successful answer (tools not listed succeed with any non-error object).</param>
    public static IReadOnlyList<ToolExchange> Read(IEnumerable<ChatMessage> messages, IReadOnlyDictionary<string, string[]> successFields)
    {
        var calls = new Dictionary<string, FunctionCallContent>(StringComparer.Ordinal);
        var exchanges = new List<ToolExchange>();
        foreach (var content in messages.SelectMany(m => m.Contents))
        {
            if (content is FunctionCallContent call) calls[call.CallId] = call;
            else if (content is FunctionResultContent result && calls.TryGetValue(result.CallId, out var made))
            {
                var json = RobustJson.Parse(result.Result);
                var fields = successFields.TryGetValue(made.Name, out var f) ? f : null;
                exchanges.Add(new ToolExchange(exchanges.Count, made.Name, made.Arguments ?? new Dictionary<string, object?>(), json, Classify(json, fields)));
            }
        }
        return exchanges;
    }

    /// <summary>Classifies one result; see <see cref="ToolOutcome"/>.</summary>
    public static ToolOutcome Classify(JsonNode? json, string[]? successFields)
    {
        if (json is not JsonObject obj) return ToolOutcome.Failed;
        if (RobustJson.Has(obj, "error"))
        {
            return RobustJson.Get(obj, "error") is JsonObject ? ToolOutcome.Failed : ToolOutcome.Rejected;
        }
        if (successFields is null) return obj.Count > 0 ? ToolOutcome.Succeeded : ToolOutcome.Rejected;
        return successFields.Any(f => RobustJson.Has(obj, f)) ? ToolOutcome.Succeeded : ToolOutcome.Rejected;
    }
}
