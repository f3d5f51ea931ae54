using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Agentic.Training.Tasks.ExpertSupport;

/// <summary>
/// Reads tool results the way a careful agent does: any shape (a <see cref="JsonElement"/>, a node, JSON text) is
/// parsed, unparseable text is no result, and keys are matched tolerantly, so a renamed key (<c>customer_id</c>,
/// <c>customerId</c>, <c>CustomerId</c>, <c>customer_id_</c>) still finds its value. Extra fields are simply ignored.
/// </summary>
internal static class RobustJson
{
    /// <summary>The result as JSON, or null when it is not JSON (for example an error text).</summary>
    public static JsonNode? Parse(object? result)
    {
        try
        {
            return result switch
            {
                null => null,
                JsonNode node => node,
                JsonElement element => element.ValueKind is JsonValueKind.Undefined ? null : JsonNode.Parse(element.GetRawText()),
                string text => ParseText(text),
                _ => JsonSerializer.SerializeToNode(result, result.GetType()),
            };
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>The value of <paramref name="key"/> in <paramref name="node"/> (an object), matched exactly or by its letters and digits ignoring case.</summary>
    public static JsonNode? Get(JsonNode? node, string key)
    {
        if (node is not JsonObject obj) return null;
        if (obj.TryGetPropertyValue(key, out var exact)) return exact;
        string wanted = Canonical(key);
        foreach (var (name, value) in obj)
        {
            if (Canonical(name) == wanted) return value;
        }
        return null;
    }

    /// <summary>Whether <paramref name="node"/> has <paramref name="key"/> (tolerantly), even with a null value.</summary>
    public static bool Has(JsonNode? node, string key) =>
        node is JsonObject obj && (obj.ContainsKey(key) || obj.Any(p => Canonical(p.Key) == Canonical(key)));

    /// <summary>A string value, or null when absent or not a string.</summary>
    public static string? GetString(JsonNode? node, string key) =>
        Get(node, key) is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;

    /// <summary>A numeric value, or null when absent or not a number.</summary>
    public static decimal? GetDecimal(JsonNode? node, string key) =>
        Get(node, key) is JsonValue v && v.GetValueKind() == JsonValueKind.Number
            && decimal.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : null;

    /// <summary>A boolean value, or null when absent, null or not a boolean.</summary>
    public static bool? GetBool(JsonNode? node, string key) =>
        Get(node, key) is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? v.GetValue<bool>() : null;

    /// <summary>An array value, or null when absent or not an array.</summary>
    public static JsonArray? GetArray(JsonNode? node, string key) => Get(node, key) as JsonArray;

    /// <summary>The distinct strings of an array value in their order (duplicates are redundant), or null when absent or not all strings.</summary>
    public static string[]? GetStringList(JsonNode? node, string key)
    {
        if (GetArray(node, key) is not { } array) return null;
        var items = new List<string>();
        foreach (var item in array)
        {
            if (item is not JsonValue v || v.GetValueKind() != JsonValueKind.String) return null;
            if (!items.Contains(v.GetValue<string>())) items.Add(v.GetValue<string>());
        }
        return [.. items];
    }

    /// <summary>The distinct strings of an array value, sorted (duplicates are redundant), or null when absent or not all strings.</summary>
    public static string[]? GetStringSet(JsonNode? node, string key)
    {
        return GetStringList(node, key) is { } items ? [.. items.Order(StringComparer.Ordinal)] : null;
    }

    /// <summary>A key's letters and digits in lower case: the form schema drift does not change.</summary>
    private static string Canonical(string key) =>
        string.Concat(key.Where(char.IsLetterOrDigit).Select(char.ToLowerInvariant));

    private static JsonNode? ParseText(string text)
    {
        var trimmed = text.TrimStart();
        return trimmed.StartsWith('{') || trimmed.StartsWith('[') ? JsonNode.Parse(text) : null;
    }
}
