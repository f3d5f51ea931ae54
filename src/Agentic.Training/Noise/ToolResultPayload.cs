using System.Text.Json;
using System.Text.Json.Nodes;

namespace Agentic.Training.Noise;

/// <summary>A tool result opened for editing: JSON (as a mutable node) or plain text, remembering its original shape.</summary>
internal sealed class ToolResultPayload
{
    private enum Shape
    {
        Null,
        Element,
        Node,
        JsonText,
        Text,
    }

    private readonly Shape _shape;
    private readonly object? _original;

    private ToolResultPayload(Shape shape, object? original, JsonNode? json, string? text)
    {
        _shape = shape;
        _original = original;
        Json = json;
        Text = text;
    }

    /// <summary>Gets or sets the JSON content (JSON shapes only); the root may be replaced.</summary>
    public JsonNode? Json { get; set; }

    /// <summary>Gets or sets the text content (plain text results only).</summary>
    public string? Text { get; set; }

    /// <summary>Gets a value indicating whether the result is JSON with a non-null root.</summary>
    public bool IsJson => _shape is Shape.Element or Shape.Node or Shape.JsonText && Json is not null;

    /// <summary>Gets a value indicating whether the result is plain (non-JSON) text.</summary>
    public bool IsText => _shape == Shape.Text;

    /// <summary>Opens <paramref name="result"/>; objects other than strings and JSON are serialized with <paramref name="options"/>.</summary>
    public static ToolResultPayload Open(object? result, JsonSerializerOptions options)
    {
        switch (result)
        {
            case null:
                return new(Shape.Null, null, null, null);
            case JsonElement element:
                return element.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null
                    ? new(Shape.Null, result, null, null)
                    : new(Shape.Element, result, JsonNode.Parse(element.GetRawText()), null);
            case JsonNode node:
                return new(Shape.Node, result, node.DeepClone(), null);
            case string text:
                JsonNode? parsed = TryParse(text);
                return parsed is JsonObject or JsonArray
                    ? new(Shape.JsonText, result, parsed, null)
                    : new(Shape.Text, result, null, text);
            default:
                var typeInfo = options.GetTypeInfo(result.GetType());
                JsonNode? serialized = JsonSerializer.SerializeToNode(result, typeInfo);
                return serialized is null ? new(Shape.Null, result, null, null) : new(Shape.Element, result, serialized, null);
        }
    }

    /// <summary>Closes the payload into a result of the original shape (a <see cref="JsonElement"/> for serialized objects).</summary>
    public object? Close() => _shape switch
    {
        Shape.Null => _original,
        Shape.Element => ToElement(Json),
        Shape.Node => Json,
        Shape.JsonText => Json?.ToJsonString() ?? "null",
        _ => Text,
    };

    /// <summary>Parses <paramref name="json"/> into a detached <see cref="JsonElement"/>.</summary>
    public static JsonElement ToElement(JsonNode? json)
    {
        using var document = JsonDocument.Parse(json?.ToJsonString() ?? "null");
        return document.RootElement.Clone();
    }

    private static JsonNode? TryParse(string text)
    {
        string trimmed = text.TrimStart();
        if (trimmed.Length == 0 || (trimmed[0] != '{' && trimmed[0] != '['))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(text);
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
