using Microsoft.Extensions.AI;

namespace Agentic.Training.Tasks.ExpertSupport;

/// <summary>Builds the replies of a scripted expert: one or more tool calls with unique ids, or a text.</summary>
internal sealed class ExpertReply
{
    private int _callNumber;

    /// <summary>One assistant message with every call in <paramref name="calls"/> (run in order by the agent loop).</summary>
    public ChatMessage Calls(params (string Tool, IDictionary<string, object?> Arguments)[] calls) =>
        new(ChatRole.Assistant, [.. calls.Select(c => (AIContent)new FunctionCallContent($"call_{Interlocked.Increment(ref _callNumber)}", c.Tool, c.Arguments))]);

    /// <summary>A message calling <paramref name="tool"/> <paramref name="times"/> times with the same text arguments.</summary>
    public ChatMessage Call(string tool, int times, params (string Name, string Value)[] arguments) =>
        Calls([.. Enumerable.Range(0, times).Select(_ => (tool, Arguments(arguments)))]);

    /// <summary>A message calling <paramref name="tool"/> once.</summary>
    public ChatMessage Call(string tool, params (string Name, string Value)[] arguments) => Call(tool, 1, arguments);

    /// <summary>Text arguments as a call's argument dictionary.</summary>
    public static IDictionary<string, object?> Arguments(params (string Name, string Value)[] arguments) =>
        arguments.ToDictionary(a => a.Name, a => (object?)a.Value);

    /// <summary>A final text reply (no tool call).</summary>
    public static ChatMessage Say(string text) => new(ChatRole.Assistant, text);
}
