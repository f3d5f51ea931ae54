using Microsoft.Extensions.AI;

namespace Agentic.Core.Tools;

/// <summary>An assistant turn split into prose, well-formed tool calls and malformed tool calls.</summary>
/// <param name="Content">The text outside the <c>&lt;tool_call&gt;</c> blocks, trimmed.</param>
/// <param name="Calls">
/// The well-formed calls in order, with call ids <c>call_0</c>, <c>call_1</c>, ... and arguments whose values are
/// <see cref="System.Text.Json.JsonElement"/>s.
/// </param>
/// <param name="Errors">The malformed blocks and stray tags, in order.</param>
public sealed record ParsedAssistantOutput(
    string Content,
    IReadOnlyList<FunctionCallContent> Calls,
    IReadOnlyList<ToolCallError> Errors);
