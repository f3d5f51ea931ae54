using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.AI;

namespace Agentic.Core.Tools;

/// <summary>
/// Writes JSON the way the Hermes/Qwen chat templates do (Python <c>json.dumps(..., ensure_ascii=False)</c>):
/// <c>", "</c> and <c>": "</c> separators, non-ASCII text unescaped. Property order is kept.
/// </summary>
/// <remarks>
/// One deviation keeps the protocol parseable: the <c>&lt;</c> of a <c>&lt;tool_call&gt;</c> or
/// <c>&lt;/tool_call&gt;</c> inside a string is written as <c>\u003c</c>, so a tool-call block never contains its own
/// tags. Lone surrogates, which UTF-8 cannot carry, are written as <c>\uXXXX</c> escapes.
/// </remarks>
internal static class CanonicalJson
{
    public static void Write(StringBuilder builder, JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Object:
                builder.Append('{');
                bool first = true;
                foreach (JsonProperty property in element.EnumerateObject())
                {
                    if (!first)
                    {
                        builder.Append(", ");
                    }

                    first = false;
                    WriteString(builder, property.Name);
                    builder.Append(": ");
                    Write(builder, property.Value);
                }

                builder.Append('}');
                break;
            case JsonValueKind.Array:
                builder.Append('[');
                int index = 0;
                foreach (JsonElement item in element.EnumerateArray())
                {
                    if (index++ > 0)
                    {
                        builder.Append(", ");
                    }

                    Write(builder, item);
                }

                builder.Append(']');
                break;
            case JsonValueKind.String:
                WriteString(builder, element.GetString()!);
                break;
            case JsonValueKind.Number:
                builder.Append(element.GetRawText());
                break;
            case JsonValueKind.True:
                builder.Append("true");
                break;
            case JsonValueKind.False:
                builder.Append("false");
                break;
            default:
                builder.Append("null");
                break;
        }
    }

    /// <summary>Serializes an arbitrary value (a <see cref="JsonElement"/> is used as is).</summary>
    public static JsonElement ToElement(object? value) => value switch
    {
        JsonElement element => element,
        null => NullElement,
        _ => JsonSerializer.SerializeToElement(value, value.GetType(), AIJsonUtilities.DefaultOptions),
    };

    public static void WriteString(StringBuilder builder, string value)
    {
        builder.Append('"');
        for (int i = 0; i < value.Length; i++)
        {
            char c = value[i];
            switch (c)
            {
                case '"': builder.Append("\\\""); break;
                case '\\': builder.Append("\\\\"); break;
                case '\n': builder.Append("\\n"); break;
                case '\r': builder.Append("\\r"); break;
                case '\t': builder.Append("\\t"); break;
                case '\b': builder.Append("\\b"); break;
                case '\f': builder.Append("\\f"); break;
                case '<' when IsToolCallTagAt(value, i):
                    builder.Append("\\u003c");
                    break;
                default:
                    if (c < 0x20 || IsLoneSurrogate(value, i))
                    {
                        builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                    }
                    else if (char.IsHighSurrogate(c))
                    {
                        builder.Append(c).Append(value[++i]);
                    }
                    else
                    {
                        builder.Append(c);
                    }

                    break;
            }
        }

        builder.Append('"');
    }

    private static readonly JsonElement NullElement = JsonDocument.Parse("null").RootElement.Clone();

    private static bool IsToolCallTagAt(string value, int i)
    {
        ReadOnlySpan<char> rest = value.AsSpan(i);
        return rest.StartsWith(ToolCallProtocol.CallStartTag, StringComparison.Ordinal)
            || rest.StartsWith(ToolCallProtocol.CallEndTag, StringComparison.Ordinal);
    }

    private static bool IsLoneSurrogate(string value, int i)
    {
        char c = value[i];
        if (char.IsHighSurrogate(c))
        {
            return i + 1 >= value.Length || !char.IsLowSurrogate(value[i + 1]);
        }

        return char.IsLowSurrogate(c);
    }
}
