using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace Agentic.Training.Tasks.Shop;

/// <summary>
/// A scripted expert for the <c>shop</c> suite, as an <see cref="IChatClient"/>. It sees only what the agent sees:
/// it reads the constraints from the shopper's request (with the suite's vocabulary), searches for the words of type,
/// color, material and feature, views the results whose price and rating fit, one by one, and buys the first that
/// meets every constraint with the requested options. It solves every task of the suite.
/// </summary>
public sealed partial class ShopExpert : IChatClient
{
    private static readonly string[] Types = [.. ShopCatalogue.Types.Select(t => t.Type)];
    private static readonly string[] Materials = [.. ShopCatalogue.Types.SelectMany(t => t.Materials).Distinct()];
    private int _callNumber;

    /// <inheritdoc />
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        return Task.FromResult(new ChatResponse(Next([.. messages])) { ModelId = nameof(ShopExpert) });
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        foreach (var update in response.ToChatResponseUpdates()) yield return update;
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null) => serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    /// <inheritdoc />
    public void Dispose() { }

    /// <summary>Reads the constraints of a request written by the suite; null when it names no product type.</summary>
    internal static ShopConstraints? Parse(string request)
    {
        var text = request.ToLowerInvariant();
        string? Word(IEnumerable<string> words) => words.FirstOrDefault(w => Regex.IsMatch(text, $@"\b{Regex.Escape(w)}\b"));
        var type = Word(Types);
        if (type is null) return null;
        var feature = FeaturePattern().Match(text) is { Success: true } f ? f.Groups["f"].Value : null;
        var size = SizePattern().Match(request) is { Success: true } s ? s.Groups["s"].Value : null;
        var rating = RatingPattern().Match(text) is { Success: true } r ? double.Parse(r.Groups["r"].Value, CultureInfo.InvariantCulture) : (double?)null;
        var price = PricePattern().Match(text) is { Success: true } p ? decimal.Parse(p.Groups["p"].Value, CultureInfo.InvariantCulture) : (decimal?)null;
        return new ShopConstraints(type, Word(Materials), feature, Word(ShopCatalogue.Colors), size, price, rating);
    }

    private ChatMessage Next(List<ChatMessage> messages)
    {
        var request = messages.LastOrDefault(m => m.Role == ChatRole.User)?.Text ?? "";
        if (Parse(request) is not { } c) return Say("Which product are you looking for?");
        var (search, views) = Results(messages);
        if (search is null) return Call("search", ("query", ShopCatalogue.QueryFor(c)));
        foreach (var hit in search.Value.GetProperty("results").EnumerateArray())
        {
            var id = hit.GetProperty("product_id").GetString()!;
            if (c.MaxPrice is { } max && hit.GetProperty("price").GetDecimal() >= max) continue;
            if (c.MinRating is { } min && hit.GetProperty("rating").GetDouble() < min) continue;
            if (!views.TryGetValue(id, out var view)) return Call("view", ("product_id", id));
            if (!Fits(view, c)) continue;
            var options = view.GetProperty("options");
            var chosen = new Dictionary<string, string> { ["color"] = c.Color ?? options.GetProperty("color")[0].GetString()! };
            if (options.TryGetProperty("size", out var sizes)) chosen["size"] = c.Size ?? sizes[0].GetString()!;
            return new ChatMessage(ChatRole.Assistant,
                [new FunctionCallContent($"call_{_callNumber++}", "buy", new Dictionary<string, object?> { ["product_id"] = id, ["options"] = chosen })]);
        }
        return Say("I could not find a product that meets all your requirements.");
    }

    private static bool Fits(JsonElement view, ShopConstraints c)
    {
        var options = view.GetProperty("options");
        bool Offers(string option, string? value) => value is null
            || (options.TryGetProperty(option, out var values) && values.EnumerateArray().Any(v => v.GetString() == value));
        return view.GetProperty("type").GetString() == c.Type
            && (c.Material is null || view.GetProperty("material").GetString() == c.Material)
            && (c.Feature is null || view.GetProperty("features").EnumerateArray().Any(f => f.GetString() == c.Feature))
            && Offers("color", c.Color) && Offers("size", c.Size)
            && (c.MaxPrice is null || view.GetProperty("price").GetDecimal() < c.MaxPrice)
            && (c.MinRating is null || view.GetProperty("rating").GetDouble() >= c.MinRating);
    }

    /// <summary>The latest successful search result and the successful view results by product id.</summary>
    private static (JsonElement? Search, Dictionary<string, JsonElement> Views) Results(List<ChatMessage> messages)
    {
        JsonElement? search = null;
        var views = new Dictionary<string, JsonElement>(StringComparer.OrdinalIgnoreCase);
        foreach (var content in messages.SelectMany(m => m.Contents))
        {
            if (content is not FunctionResultContent result) continue;
            JsonElement json;
            try
            {
                json = result.Result is JsonElement e ? e : JsonDocument.Parse(result.Result?.ToString() ?? "null").RootElement;
            }
            catch (JsonException)
            {
                continue; // A non-JSON result (an error text): the call counts as not answered and is made again.
            }
            if (json.ValueKind != JsonValueKind.Object || json.TryGetProperty("error", out _)) continue;
            if (json.TryGetProperty("results", out _)) search = json.Clone();
            else if (json.TryGetProperty("options", out _) && json.TryGetProperty("product_id", out var id)) views[id.GetString()!] = json.Clone();
        }
        return (search, views);
    }

    private ChatMessage Call(string tool, params (string Name, string Value)[] arguments) =>
        new(ChatRole.Assistant, [new FunctionCallContent($"call_{_callNumber++}", tool, arguments.ToDictionary(a => a.Name, a => (object?)a.Value))]);

    private static ChatMessage Say(string text) => new(ChatRole.Assistant, text);

    [GeneratedRegex(@"that (?:is|are) (?<f>[a-z ]+?)(?: in size|,|\.|$)")]
    private static partial Regex FeaturePattern();

    [GeneratedRegex(@"in size (?<s>\w+)")]
    private static partial Regex SizePattern();

    [GeneratedRegex(@"at least (?<r>\d(?:\.\d)?) stars")]
    private static partial Regex RatingPattern();

    [GeneratedRegex(@"under (?<p>\d+) dollars")]
    private static partial Regex PricePattern();
}
