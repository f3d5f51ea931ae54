using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Agentic.Core.Tools;

/// <summary>
/// The Hermes/Qwen tool-call protocol: an assistant calls a tool by writing
/// <c>&lt;tool_call&gt;\n{"name": "...", "arguments": {...}}\n&lt;/tool_call&gt;</c>.
/// </summary>
/// <remarks>
/// <para>
/// JSON is written in the style of the Qwen chat templates (<c>", "</c> and <c>": "</c> separators, non-ASCII text
/// unescaped), except that a <c>&lt;</c> that starts a tool-call tag inside a JSON string is escaped as
/// <c>\u003c</c>, so <see cref="Format"/> output always parses back.
/// </para>
/// <para>
/// <see cref="Parse"/> never throws on model output. It is lenient where that loses nothing: whitespace around the JSON
/// is ignored, a missing <c>arguments</c> field means no arguments, and <c>arguments</c> given as a string holding a
/// JSON object (the OpenAI style) is accepted.
/// </para>
/// </remarks>
public static class ToolCallProtocol
{
    /// <summary>The tag that opens a tool call.</summary>
    public const string CallStartTag = "<tool_call>";

    /// <summary>The tag that closes a tool call.</summary>
    public const string CallEndTag = "</tool_call>";

    /// <summary>Renders a tool call as the assistant writes it.</summary>
    /// <param name="call">The call; its <c>CallId</c> is not rendered.</param>
    /// <returns><c>&lt;tool_call&gt;\n{"name": ..., "arguments": {...}}\n&lt;/tool_call&gt;</c>, with no trailing newline.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="call"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentException">An argument value cannot be serialized to JSON (for example NaN).</exception>
    public static string Format(FunctionCallContent call)
    {
        ArgumentNullException.ThrowIfNull(call);
        var builder = new StringBuilder();
        builder.Append(CallStartTag).Append('\n').Append("{\"name\": ");
        CanonicalJson.WriteString(builder, call.Name);
        builder.Append(", \"arguments\": {");
        if (call.Arguments is { } arguments)
        {
            bool first = true;
            foreach (KeyValuePair<string, object?> argument in arguments)
            {
                if (!first)
                {
                    builder.Append(", ");
                }

                first = false;
                CanonicalJson.WriteString(builder, argument.Key);
                builder.Append(": ");
                JsonElement value;
                try
                {
                    value = CanonicalJson.ToElement(argument.Value);
                }
                catch (Exception ex) when (ex is JsonException or NotSupportedException or ArgumentException)
                {
                    throw new ArgumentException(
                        $"Argument '{argument.Key}' of tool call '{call.Name}' cannot be serialized to JSON: {ex.Message}",
                        nameof(call),
                        ex);
                }

                CanonicalJson.Write(builder, value);
            }
        }

        builder.Append("}}\n").Append(CallEndTag);
        return builder.ToString();
    }

    /// <summary>Splits assistant output into prose, tool calls and tool-call errors. Never throws on any text.</summary>
    /// <param name="text">The decoded assistant output.</param>
    /// <returns>
    /// The prose outside the blocks (trimmed), the well-formed calls (call ids <c>call_0</c>, <c>call_1</c>, ... in
    /// order), and one <see cref="ToolCallError"/> per malformed block or stray tag. The text of a malformed block is
    /// reported in its error, not in the prose.
    /// </returns>
    /// <exception cref="ArgumentNullException"><paramref name="text"/> is <see langword="null"/>.</exception>
    public static ParsedAssistantOutput Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var content = new StringBuilder();
        var calls = new List<FunctionCallContent>();
        var errors = new List<ToolCallError>();
        int position = 0;
        while (position < text.Length)
        {
            int open = text.IndexOf(CallStartTag, position, StringComparison.Ordinal);
            int close = text.IndexOf(CallEndTag, position, StringComparison.Ordinal);
            if (close >= 0 && (open < 0 || close < open))
            {
                content.Append(text, position, close - position);
                errors.Add(new ToolCallError(
                    ToolCallErrorKind.UnexpectedClosingTag,
                    $"Found {CallEndTag} at position {close} without a matching {CallStartTag}.",
                    CallEndTag));
                position = close + CallEndTag.Length;
                continue;
            }

            if (open < 0)
            {
                content.Append(text, position, text.Length - position);
                break;
            }

            content.Append(text, position, open - position);
            int bodyStart = open + CallStartTag.Length;
            int nextOpen = text.IndexOf(CallStartTag, bodyStart, StringComparison.Ordinal);
            if (close < 0 || (nextOpen >= 0 && nextOpen < close))
            {
                // Unclosed: the block runs to the next opening tag (which is parsed on its own) or to the end.
                int end = nextOpen >= 0 ? nextOpen : text.Length;

                errors.Add(new ToolCallError(
                    ToolCallErrorKind.UnclosedTag,
                    $"The {CallStartTag} at position {open} is not closed with {CallEndTag}.",
                    text[open..end]));
                position = end;
                continue;
            }

            string raw = text[open..(close + CallEndTag.Length)];
            if (TryReadCall(text[bodyStart..close], calls.Count, raw, out FunctionCallContent? call, out ToolCallError? error))
            {
                calls.Add(call);
            }
            else
            {
                errors.Add(error);
            }

            position = close + CallEndTag.Length;
        }

        return new ParsedAssistantOutput(content.ToString().Trim(), calls, errors);
    }

    private static bool TryReadCall(
        string body,
        int index,
        string raw,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out FunctionCallContent? call,
        [System.Diagnostics.CodeAnalysis.NotNullWhen(false)] out ToolCallError? error)
    {
        call = null;
        error = null;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body.Trim());
        }
        catch (JsonException ex)
        {
            error = new ToolCallError(ToolCallErrorKind.InvalidJson, $"The tool call is not valid JSON: {ex.Message}", raw);
            return false;
        }

        using (document)
        {
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                error = new ToolCallError(
                    ToolCallErrorKind.InvalidJson, $"The tool call must be a JSON object, not {root.ValueKind}.", raw);
                return false;
            }

            string? name = null;
            if (root.TryGetProperty("name", out JsonElement nameElement) && nameElement.ValueKind == JsonValueKind.String)
            {
                name = TryGetString(nameElement);
            }

            if (string.IsNullOrWhiteSpace(name))
            {
                error = new ToolCallError(
                    ToolCallErrorKind.MissingName, "The tool call has no \"name\" string.", raw);
                return false;
            }

            var arguments = new Dictionary<string, object?>(StringComparer.Ordinal);
            if (root.TryGetProperty("arguments", out JsonElement argumentsElement)
                && !TryReadArguments(argumentsElement, arguments))
            {
                error = new ToolCallError(
                    ToolCallErrorKind.InvalidArguments,
                    $"The \"arguments\" of tool call '{name}' must be a JSON object, not {argumentsElement.ValueKind}.",
                    raw);
                return false;
            }

            call = new FunctionCallContent("call_" + index.ToString(CultureInfo.InvariantCulture), name, arguments);
            return true;
        }
    }

    private static bool TryReadArguments(JsonElement element, Dictionary<string, object?> arguments)
    {
        if (element.ValueKind == JsonValueKind.String && TryGetString(element) is { } nested)
        {
            try
            {
                using JsonDocument document = JsonDocument.Parse(nested);
                return document.RootElement.ValueKind == JsonValueKind.Object
                    && TryReadArguments(document.RootElement, arguments);
            }
            catch (JsonException)
            {
                return false;
            }
        }

        if (element.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        foreach (JsonProperty property in element.EnumerateObject())
        {
            arguments[property.Name] = property.Value.Clone();
        }

        return true;
    }

    /// <summary>Reads a JSON string, or null when its escapes encode invalid UTF-16 (a lone surrogate).</summary>
    private static string? TryGetString(JsonElement element)
    {
        try
        {
            return element.GetString();
        }
        catch (InvalidOperationException)
        {
            return null;
        }
    }
}
