using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;

namespace Agentic.Training.Noise;

/// <summary>The content transformations of tool noise. Each returns a description, or <see langword="null"/> when it does not apply.</summary>
internal static partial class ToolResultNoise
{
    private static readonly string[] IrrelevantKeys = ["_trace_id", "_cache", "server_region", "api_version", "_links"];

    /// <summary>The in-band error JSON of a failure or a timeout.</summary>
    public static JsonElement Error(int status, string code, string message)
    {
        var error = new JsonObject
        {
            ["error"] = new JsonObject
            {
                ["status"] = status,
                ["code"] = code,
                ["message"] = message,
                ["retryable"] = true,
            },
        };
        return ToolResultPayload.ToElement(error);
    }

    /// <summary>The code and message of an HTTP-like status.</summary>
    public static (string Code, string Message) Describe(int status) => status switch
    {
        400 => ("bad_request", "Bad request: the service could not process the call."),
        401 => ("unauthorized", "Unauthorized: the session token expired. It has been refreshed; retry the call."),
        403 => ("forbidden", "Forbidden: access was denied by a transient policy check. Retry the call."),
        404 => ("not_found", "Not found: the resource was temporarily unavailable. Retry the call."),
        408 => ("request_timeout", "Request timeout: the service did not answer in time. Retry the call."),
        429 => ("too_many_requests", "Too many requests: rate limit exceeded. Retry the call."),
        500 => ("internal_server_error", "Internal server error. Retry the call."),
        502 => ("bad_gateway", "Bad gateway. Retry the call."),
        503 => ("service_unavailable", "Service unavailable: the service is temporarily overloaded. Retry the call."),
        504 => ("gateway_timeout", "Gateway timeout. Retry the call."),
        _ => ("error", $"The service returned status {status}. Retry the call."),
    };

    public static string? Incomplete(ToolResultPayload payload, Func<double> random)
    {
        if (payload.IsText)
        {
            string text = payload.Text!;
            if (text.Length < 2)
            {
                return null;
            }

            int keep = Math.Clamp((int)(text.Length * (0.4 + (0.4 * random()))), 1, text.Length - 1);
            payload.Text = text[..keep];
            return $"truncated text to {keep} of {text.Length} characters";
        }

        if (!payload.IsJson)
        {
            return null;
        }

        switch (payload.Json)
        {
            case JsonArray array when array.Count >= 2:
            {
                int keep = Math.Max(1, array.Count / 2);
                int removed = array.Count - keep;
                while (array.Count > keep)
                {
                    array.RemoveAt(array.Count - 1);
                }

                return $"dropped the last {removed} of {keep + removed} items";
            }

            case JsonArray array when array.Count == 1 && array[0] is JsonObject only:
                return RemoveFields(only, random, "item 0");
            case JsonObject obj when obj.Count >= 1:
                return RemoveFields(obj, random, "root");
            default:
                return null;
        }
    }

    public static string? Misleading(ToolResultPayload payload, Func<double> random)
    {
        if (payload.IsText)
        {
            var matches = NumberPattern().Matches(payload.Text!);
            if (matches.Count == 0)
            {
                return null;
            }

            Match match = matches[NoiseRandom.NextInt(random, matches.Count)];
            string changedNumber = PerturbNumberText(match.Value, random);
            payload.Text = string.Concat(payload.Text.AsSpan(0, match.Index), changedNumber, payload.Text.AsSpan(match.Index + match.Length));
            return $"changed {match.Value} to {changedNumber} in the text";
        }

        if (!payload.IsJson)
        {
            return null;
        }

        var leaves = new List<(JsonValue Value, string Path)>();
        CollectLeaves(payload.Json!, "$", leaves);
        if (leaves.Count == 0)
        {
            return null;
        }

        var (leaf, path) = leaves[NoiseRandom.NextInt(random, leaves.Count)];
        var otherStrings = leaves
            .Where(l => l.Value.GetValueKind() == JsonValueKind.String)
            .Select(l => l.Value.GetValue<string>())
            .Distinct(StringComparer.Ordinal)
            .ToList();
        JsonNode replacement = PerturbValue(leaf, otherStrings, random);
        string before = leaf.ToJsonString();
        if (leaf.Parent is null)
        {
            payload.Json = replacement;
        }
        else
        {
            leaf.ReplaceWith(replacement);
        }

        return $"changed {path} from {before} to {replacement.ToJsonString()}";
    }

    public static string? Redundant(ToolResultPayload payload, Func<double> random)
    {
        if (payload.IsText)
        {
            string text = payload.Text!;
            if (text.Length == 0)
            {
                return null;
            }

            payload.Text = text + "\n" + text;
            return "repeated the text";
        }

        if (!payload.IsJson)
        {
            return null;
        }

        switch (payload.Json)
        {
            case JsonArray array when array.Count > 0:
                return DuplicateItem(array, random, "$");
            case JsonObject obj:
                var nestedArray = obj.Where(p => p.Value is JsonArray { Count: > 0 }).Select(p => p.Key).ToList();
                if (nestedArray.Count > 0 && random() < 0.5)
                {
                    string key = nestedArray[NoiseRandom.NextInt(random, nestedArray.Count)];
                    return DuplicateItem((JsonArray)obj[key]!, random, "$." + key);
                }

                string extra = IrrelevantKeys.FirstOrDefault(k => !obj.ContainsKey(k)) ?? "_extra_" + obj.Count.ToString(CultureInfo.InvariantCulture);
                obj[extra] = extra switch
                {
                    "_trace_id" => ((ulong)(random() * (1UL << 52))).ToString("x13", CultureInfo.InvariantCulture),
                    "_cache" => new JsonObject { ["hit"] = random() < 0.5, ["age_seconds"] = NoiseRandom.NextInt(random, 600) },
                    "server_region" => "eu-west-" + (1 + NoiseRandom.NextInt(random, 3)).ToString(CultureInfo.InvariantCulture),
                    "api_version" => "2." + NoiseRandom.NextInt(random, 10).ToString(CultureInfo.InvariantCulture),
                    "_links" => new JsonArray("/help", "/status"),
                    _ => "n/a",
                };
                return $"added irrelevant field {extra}";
            default:
                return null;
        }
    }

    public static string? SchemaDrift(ToolResultPayload payload, Func<double> random)
    {
        if (!payload.IsJson)
        {
            return null;
        }

        var objects = new List<JsonObject>();
        CollectObjects(payload.Json!, objects);
        var keys = objects.SelectMany(o => o.Select(p => (Object: o, p.Key))).ToList();
        if (keys.Count == 0)
        {
            return null;
        }

        int count = Math.Max(1, keys.Count / 3);
        var chosen = new HashSet<(JsonObject, string)>();
        while (chosen.Count < count)
        {
            chosen.Add(keys[NoiseRandom.NextInt(random, keys.Count)]);
        }

        var renames = new List<string>();
        foreach (var group in chosen.GroupBy(c => c.Item1))
        {
            JsonObject obj = group.Key;
            var names = group.Select(g => g.Item2).ToHashSet(StringComparer.Ordinal);
            var pairs = obj.ToList();
            obj.Clear();
            foreach (var (key, value) in pairs)
            {
                string newKey = key;
                if (names.Contains(key))
                {
                    newKey = Drift(key);
                    while (obj.ContainsKey(newKey) || pairs.Any(p => p.Key == newKey && !names.Contains(p.Key)))
                    {
                        newKey += "_";
                    }

                    renames.Add($"{key}->{newKey}");
                }

                obj[newKey] = value;
            }
        }

        return "renamed " + string.Join(", ", renames);
    }

    private static string RemoveFields(JsonObject obj, Func<double> random, string where)
    {
        int count = Math.Max(1, obj.Count / 3);
        var removed = new List<string>();
        for (int i = 0; i < count; i++)
        {
            var keys = obj.Select(p => p.Key).ToList();
            string key = keys[NoiseRandom.NextInt(random, keys.Count)];
            obj.Remove(key);
            removed.Add(key);
        }

        return $"removed {string.Join(", ", removed)} from {where}";
    }

    private static string DuplicateItem(JsonArray array, Func<double> random, string path)
    {
        int index = NoiseRandom.NextInt(random, array.Count);
        array.Insert(index + 1, array[index]?.DeepClone());
        return $"duplicated {path}[{index}]";
    }

    private static void CollectLeaves(JsonNode node, string path, List<(JsonValue, string)> leaves)
    {
        switch (node)
        {
            case JsonObject obj:
                foreach (var (key, value) in obj)
                {
                    if (value is not null)
                    {
                        CollectLeaves(value, path + "." + key, leaves);
                    }
                }

                break;
            case JsonArray array:
                for (int i = 0; i < array.Count; i++)
                {
                    if (array[i] is { } item)
                    {
                        CollectLeaves(item, path + "[" + i.ToString(CultureInfo.InvariantCulture) + "]", leaves);
                    }
                }

                break;
            case JsonValue value:
                var kind = value.GetValueKind();
                if (kind is JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False
                    || (kind == JsonValueKind.String && value.GetValue<string>().Length > 0))
                {
                    leaves.Add((value, path));
                }

                break;
        }
    }

    private static void CollectObjects(JsonNode node, List<JsonObject> objects)
    {
        switch (node)
        {
            case JsonObject obj:
                objects.Add(obj);
                foreach (var (_, value) in obj)
                {
                    if (value is not null)
                    {
                        CollectObjects(value, objects);
                    }
                }

                break;
            case JsonArray array:
                foreach (var item in array)
                {
                    if (item is not null)
                    {
                        CollectObjects(item, objects);
                    }
                }

                break;
        }
    }

    private static JsonNode PerturbValue(JsonValue value, List<string> strings, Func<double> random)
    {
        switch (value.GetValueKind())
        {
            case JsonValueKind.True:
                return JsonValue.Create(false);
            case JsonValueKind.False:
                return JsonValue.Create(true);
            case JsonValueKind.Number:
                return JsonNode.Parse(PerturbNumberText(value.ToJsonString(), random))!;
            default:
                string text = value.GetValue<string>();
                var others = strings.Where(s => s != text).ToList();
                if (others.Count > 0 && random() < 0.5)
                {
                    return JsonValue.Create(others[NoiseRandom.NextInt(random, others.Count)]);
                }

                return JsonValue.Create(PerturbString(text, random));
        }
    }

    /// <summary>A different number of the same form (integer stays integer, decimals keep their count).</summary>
    private static string PerturbNumberText(string number, Func<double> random)
    {
        if (long.TryParse(number, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out long integer))
        {
            long magnitude = Math.Max(1, Math.Abs(integer) / 4);
            long delta = 1 + (long)(random() * magnitude);
            long changed = random() < 0.5 && integer - delta >= 0 ? integer - delta : integer + delta;
            return changed.ToString(CultureInfo.InvariantCulture);
        }

        if (double.TryParse(number, NumberStyles.Float, CultureInfo.InvariantCulture, out double real) && double.IsFinite(real))
        {
            int dot = number.IndexOf('.', StringComparison.Ordinal);
            int decimals = dot < 0 || number.Contains('e', StringComparison.OrdinalIgnoreCase) ? 2 : number.Length - dot - 1;
            double factor = random() < 0.5 ? 1 - (0.1 + (0.3 * random())) : 1 + (0.1 + (0.3 * random()));
            double changed = Math.Round(real * factor, Math.Min(decimals, 15));
            if (changed == real)
            {
                changed = real + Math.Pow(10, -Math.Min(decimals, 15));
            }

            return changed.ToString("0.##############", CultureInfo.InvariantCulture) is var s && s.Contains('.', StringComparison.Ordinal) ? s : s + ".0";
        }

        return "0";
    }

    /// <summary>A plausible variant of <paramref name="text"/>: one digit changed, else one vowel changed, else one letter doubled.</summary>
    internal static string PerturbString(string text, Func<double> random)
    {
        var builder = new StringBuilder(text);
        var digits = Enumerable.Range(0, text.Length).Where(i => char.IsAsciiDigit(text[i])).ToList();
        if (digits.Count > 0)
        {
            int i = digits[NoiseRandom.NextInt(random, digits.Count)];
            builder[i] = (char)('0' + ((text[i] - '0' + 1 + NoiseRandom.NextInt(random, 9)) % 10));
            return builder.ToString();
        }

        const string vowels = "aeiou";
        var vowelIndexes = Enumerable.Range(0, text.Length).Where(i => vowels.Contains(char.ToLowerInvariant(text[i]), StringComparison.Ordinal)).ToList();
        if (vowelIndexes.Count > 0)
        {
            int i = vowelIndexes[NoiseRandom.NextInt(random, vowelIndexes.Count)];
            char lower = char.ToLowerInvariant(text[i]);
            char other = vowels[(vowels.IndexOf(lower, StringComparison.Ordinal) + 1 + NoiseRandom.NextInt(random, 4)) % 5];
            builder[i] = char.IsUpper(text[i]) ? char.ToUpperInvariant(other) : other;
            return builder.ToString();
        }

        return text + text[^1];
    }

    /// <summary>The drifted name of a key: snake_case to camelCase, camelCase to snake_case, else the first letter's case flipped.</summary>
    internal static string Drift(string key)
    {
        if (key.Contains('_', StringComparison.Ordinal) && key.Trim('_').Length > 0)
        {
            var parts = key.Split('_', StringSplitOptions.RemoveEmptyEntries);
            return parts[0] + string.Concat(parts.Skip(1).Select(p => char.ToUpperInvariant(p[0]) + p[1..]));
        }

        if (key.Skip(1).Any(char.IsUpper))
        {
            var builder = new StringBuilder();
            for (int i = 0; i < key.Length; i++)
            {
                if (i > 0 && char.IsUpper(key[i]))
                {
                    builder.Append('_');
                }

                builder.Append(char.ToLowerInvariant(key[i]));
            }

            return builder.ToString();
        }

        int letter = key.IndexOf(key.FirstOrDefault(char.IsLetter));
        if (key.Length == 0 || letter < 0)
        {
            return key + "_v2";
        }

        char c = key[letter];
        char flipped = char.IsUpper(c) ? char.ToLowerInvariant(c) : char.ToUpperInvariant(c);
        if (flipped == c)
        {
            return key + "_v2";
        }

        return string.Concat(key.AsSpan(0, letter), flipped.ToString(), key.AsSpan(letter + 1));
    }

    [GeneratedRegex(@"-?\d+(\.\d+)?")]
    private static partial Regex NumberPattern();
}
