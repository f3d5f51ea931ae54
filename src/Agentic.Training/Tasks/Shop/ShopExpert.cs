using Agentic.Core.ChatCompletion;
using System.Globalization;
using System.Text.RegularExpressions;
using Agentic.Training.Tasks.ExpertSupport;
using Microsoft.Extensions.AI;

namespace Agentic.Training.Tasks.Shop;

/// <summary>
/// A scripted expert for the <c>shop</c> suite, as an <see cref="IChatClient"/>. It sees only what the agent sees:
/// it reads the constraints from the shopper's request (with the suite's vocabulary), searches for the words of type,
/// color, material and feature, views the results whose price and rating fit, one by one, and buys the first that
/// meets every constraint with the requested options. It solves every task of the suite, and stays robust under tool
/// noise: it searches and views twice (two calls in one turn) and trusts a result list or a product only when two
/// readings agree, retries failed calls, finds fields under drifted names, ignores extra fields and duplicated hits,
/// and retries a purchase only when it failed before running.
/// </summary>
public sealed partial class ShopExpert : ScriptedChatClient
{
    private static readonly string[] Types = [.. ShopCatalogue.Types.Select(t => t.Type)];
    private static readonly string[] Materials = [.. ShopCatalogue.Types.SelectMany(t => t.Materials).Distinct()];
    private static readonly Dictionary<string, string[]> SuccessFields = new(StringComparer.Ordinal)
    {
        ["search"] = ["query", "results", "text"],
        ["view"] = ["product_id", "title", "type", "material", "features", "price", "rating", "options"],
        ["buy"] = ["purchased", "color", "size", "price", "text"],
    };

    private readonly ExpertReply _reply = new();

    /// <inheritdoc />
    protected override ChatMessage Respond(IReadOnlyList<ChatMessage> messages, ChatOptions? options) => Next([.. messages]);

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
        if (Parse(request) is not { } c) return ExpertReply.Say("Which product are you looking for?");
        var calls = ToolTranscript.Read(messages, SuccessFields);

        // The result list: two agreeing searches (a duplicated hit is one hit).
        var query = ShopCatalogue.QueryFor(c);
        var searches = calls.Where(x => x.Is("search", "query", query) && x.Succeeded).Select(Hits).OfType<Hit[]>().ToList();
        if (!Consensus.TryAgree(searches, out var hits, ArrayComparer<Hit>.Instance)) return _reply.Call("search", Consensus.Needed(searches), ("query", query));

        foreach (var hit in hits)
        {
            if (c.MaxPrice is { } max && hit.Price >= max) continue;
            if (c.MinRating is { } min && hit.Rating < min) continue;
            // The product's details: two agreeing views.
            var views = calls.Where(x => x.Is("view", "product_id", hit.Id) && x.Succeeded).Select(Details).OfType<Product>().ToList();
            if (!Consensus.TryAgree(views, out var product, ProductComparer.Instance)) return _reply.Call("view", Consensus.Needed(views), ("product_id", hit.Id));
            if (!Fits(product, c)) continue;
            // A purchase that failed before running is retried; one the shop refused is not.
            if (calls.LastOrDefault(x => x.Tool == "buy") is { Outcome: ToolOutcome.Rejected } refused)
            {
                return ExpertReply.Say($"The shop refused the purchase: {RobustJson.GetString(refused.Json, "error") ?? "unknown reason"}.");
            }
            var chosen = new Dictionary<string, string> { ["color"] = c.Color ?? product.Colors[0] };
            if (product.Sizes.Length > 0) chosen["size"] = c.Size ?? product.Sizes[0];
            return _reply.Calls(("buy", new Dictionary<string, object?> { ["product_id"] = hit.Id, ["options"] = chosen }));
        }
        return ExpertReply.Say("I could not find a product that meets all your requirements.");
    }

    private static bool Fits(Product p, ShopConstraints c) =>
        p.Type == c.Type
        && (c.Material is null || p.Material == c.Material)
        && (c.Feature is null || p.Features.Contains(c.Feature))
        && (c.Color is null || p.Colors.Contains(c.Color))
        && (c.Size is null || p.Sizes.Contains(c.Size))
        && (c.MaxPrice is null || p.Price < c.MaxPrice)
        && (c.MinRating is null || p.Rating >= c.MinRating);

    /// <summary>The distinct hits of a search, in order; null when the result is incomplete.</summary>
    private static Hit[]? Hits(ToolExchange search)
    {
        if (RobustJson.GetArray(search.Json, "results") is not { } results) return null;
        var hits = new List<Hit>();
        foreach (var item in results)
        {
            if (RobustJson.GetString(item, "product_id") is not { } id || RobustJson.GetDecimal(item, "price") is not { } price
                || RobustJson.GetDecimal(item, "rating") is not { } rating) return null;
            var hit = new Hit(id, price, (double)rating);
            if (!hits.Contains(hit)) hits.Add(hit);
        }
        return [.. hits];
    }

    /// <summary>The attributes of a view; null when the result is incomplete.</summary>
    private static Product? Details(ToolExchange view)
    {
        var json = view.Json;
        var options = RobustJson.Get(json, "options");
        if (RobustJson.GetString(json, "type") is not { } type || RobustJson.GetString(json, "material") is not { } material
            || RobustJson.GetStringSet(json, "features") is not { } features || RobustJson.GetDecimal(json, "price") is not { } price
            || RobustJson.GetDecimal(json, "rating") is not { } rating || RobustJson.GetStringList(options, "color") is not { Length: > 0 } colors)
        {
            return null;
        }
        // Options keep their order (the first is the default choice); sizes are absent for one-size products.
        return new Product(type, material, features, price, (double)rating, colors, RobustJson.GetStringList(options, "size") ?? []);
    }

    private sealed record Hit(string Id, decimal Price, double Rating);

    private sealed record Product(string Type, string Material, string[] Features, decimal Price, double Rating, string[] Colors, string[] Sizes);

    /// <summary>Compares arrays element by element.</summary>
    private sealed class ArrayComparer<T> : IEqualityComparer<T[]>
    {
        public static readonly ArrayComparer<T> Instance = new();

        public bool Equals(T[]? x, T[]? y) => x is not null && y is not null && x.SequenceEqual(y);

        public int GetHashCode(T[] obj) => obj.Length;
    }

    /// <summary>Compares products by value, arrays included.</summary>
    private sealed class ProductComparer : IEqualityComparer<Product>
    {
        public static readonly ProductComparer Instance = new();

        public bool Equals(Product? x, Product? y) => x is not null && y is not null
            && (x with { Features = [], Colors = [], Sizes = [] }) == (y with { Features = [], Colors = [], Sizes = [] })
            && x.Features.SequenceEqual(y.Features) && x.Colors.SequenceEqual(y.Colors) && x.Sizes.SequenceEqual(y.Sizes);

        public int GetHashCode(Product obj) => obj.Type.GetHashCode(StringComparison.Ordinal);
    }

    [GeneratedRegex(@"that (?:is|are) (?<f>[a-z ]+?)(?: in size|,|\.|$)")]
    private static partial Regex FeaturePattern();

    [GeneratedRegex(@"in size (?<s>\w+)")]
    private static partial Regex SizePattern();

    [GeneratedRegex(@"at least (?<r>\d(?:\.\d)?) stars")]
    private static partial Regex RatingPattern();

    [GeneratedRegex(@"under (?<p>\d+) dollars")]
    private static partial Regex PricePattern();
}
