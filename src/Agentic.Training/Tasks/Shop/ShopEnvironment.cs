using System.ComponentModel;
using Agentic.Core.Agents;
using Microsoft.Extensions.AI;

namespace Agentic.Training.Tasks.Shop;

/// <summary>
/// The web shop of the <c>shop</c> suite (WebShop-like): a generated catalogue and three tools, <c>search</c> (token
/// match, top five), <c>view</c> (attributes and options of a product) and <c>buy</c> (a product with its options).
/// Bad input answers with an in-band <c>error</c>. The episode ends with the first purchase (or a reply without a
/// tool call, which buys nothing). The reward is the fraction of matched requirements of the bought product: its
/// type, each requested attribute and option, the price bound and the least rating; success means all match.
/// </summary>
public sealed class ShopEnvironment : AgentEnvironment
{
    private readonly IReadOnlyList<AIFunction> _tools;
    private ShopCatalogue _catalogue = new();
    private ShopTask? _task;
    private (ShopProduct Product, string? Color, string? Size)? _purchase;

    /// <summary>Creates the environment.</summary>
    public ShopEnvironment()
    {
        _tools =
        [
            AIFunctionFactory.Create(Search, "search", "Searches the catalogue by keywords; returns the five best matches with id, title, price and rating."),
            AIFunctionFactory.Create(View, "view", "Shows a product: type, material, features, price, rating and the options (color, size) to choose from."),
            AIFunctionFactory.Create(Buy, "buy", "Buys a product with the chosen options, for example {\"color\": \"red\", \"size\": \"M\"}. Ends the episode."),
        ];
    }

    /// <inheritdoc />
    public override IReadOnlyList<AIFunction> Tools => _tools;

    /// <summary>The id of the product bought in this episode, or null.</summary>
    public string? PurchasedProductId => _purchase?.Product.Id;

    /// <summary>The current catalogue (for tests).</summary>
    internal ShopCatalogue Catalogue => _catalogue;

    /// <inheritdoc />
    public override ValueTask<IReadOnlyList<ChatMessage>> ResetAsync(AgentTask task, ulong seed, CancellationToken cancellationToken = default)
    {
        _task = task as ShopTask ?? throw new ArgumentException($"The shop environment needs a {nameof(ShopTask)}.", nameof(task));
        _catalogue = ShopCatalogue.Generate(_task.CatalogueSeed, _task.Products);
        _purchase = null;
        return ValueTask.FromResult<IReadOnlyList<ChatMessage>>(
        [
            new ChatMessage(ChatRole.System, "You are a shopping assistant in a web shop. Use search to find products, view to check their attributes "
                + "and options, and buy to purchase the one that meets every requirement, with the right options."),
            new ChatMessage(ChatRole.User, task.Instruction),
        ]);
    }

    /// <inheritdoc />
    public override ValueTask<EnvironmentStep> StepAsync(AgentAction action, CancellationToken cancellationToken = default)
    {
        bool called = action.Message.Contents.OfType<FunctionCallContent>().Any() || action.ParseErrors.Count > 0;
        return ValueTask.FromResult(called && _purchase is null ? EnvironmentStep.Continue : Judge());
    }

    /// <inheritdoc />
    public override ValueTask<EnvironmentStep> TruncateAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(Judge());

    private EnvironmentStep Judge()
    {
        var c = _task!.Constraints;
        var info = new Dictionary<string, double> { ["purchased"] = _purchase is null ? 0 : 1 };
        var p = _purchase?.Product;
        void Score(string name, bool asked, Func<ShopProduct, bool> match)
        {
            if (asked) info["match_" + name] = p is not null && match(p) ? 1 : 0;
        }
        Score("type", true, x => x.Type == c.Type);
        Score("material", c.Material is not null, x => x.Material == c.Material);
        Score("feature", c.Feature is not null, x => x.Features.Contains(c.Feature!));
        Score("color", c.Color is not null, _ => _purchase!.Value.Color == c.Color);
        Score("size", c.Size is not null, _ => _purchase!.Value.Size == c.Size);
        Score("price", c.MaxPrice is not null, x => x.Price < c.MaxPrice);
        Score("rating", c.MinRating is not null, x => x.Rating >= c.MinRating);
        var matches = info.Where(kv => kv.Key.StartsWith("match_", StringComparison.Ordinal)).Select(kv => kv.Value).ToArray();
        double reward = matches.Average();
        info["reward"] = reward;
        info["success"] = reward >= 1 ? 1 : 0;
        return new EnvironmentStep([], reward, true, info);
    }

    private static object Summary(ShopProduct p) => new { product_id = p.Id, title = p.Title, price = p.Price, rating = p.Rating };

    private object Search([Description("Keywords, for example \"red cotton shirt\"")] string query)
    {
        if (string.IsNullOrWhiteSpace(query) || !ShopCatalogue.Tokenize(query).Any()) return new { error = "the query is empty" };
        var hits = _catalogue.Search(query);
        return new { query, results = hits.Select(Summary).ToArray(), text = hits.Count == 0 ? "No products match." : $"{hits.Count} results." };
    }

    private object View([Description("The product id from a search result, for example P12345")] string product_id)
    {
        if (!_catalogue.ById.TryGetValue((product_id ?? "").Trim(), out var p)) return new { error = $"unknown product_id '{product_id}'" };
        var options = new Dictionary<string, string[]> { ["color"] = p.Colors };
        if (p.Sizes.Length > 0) options["size"] = p.Sizes;
        return new { product_id = p.Id, title = p.Title, type = p.Type, material = p.Material, features = p.Features, price = p.Price, rating = p.Rating, options };
    }

    private object Buy(
        [Description("The product id")] string product_id,
        [Description("The chosen options by name, for example {\"color\": \"red\", \"size\": \"M\"}; every option the product offers must be chosen")] Dictionary<string, string>? options = null)
    {
        if (_purchase is not null) return new { error = $"you already bought {_purchase.Value.Product.Id}" };
        if (!_catalogue.ById.TryGetValue((product_id ?? "").Trim(), out var p)) return new { error = $"unknown product_id '{product_id}'" };
        string? color = null, size = null;
        foreach (var (key, value) in options ?? [])
        {
            var name = key.Trim().ToLowerInvariant();
            var offered = name switch { "color" => p.Colors, "size" => p.Sizes, _ => [] };
            var chosen = offered.FirstOrDefault(o => string.Equals(o, value?.Trim(), StringComparison.OrdinalIgnoreCase));
            if (offered.Length == 0) return new { error = $"{p.Id} has no option '{key}'" };
            if (chosen is null) return new { error = $"{name} '{value}' is not available for {p.Id}; choose one of {string.Join(", ", offered)}" };
            if (name == "color") color = chosen;
            else size = chosen;
        }
        color ??= p.Colors.Length == 1 ? p.Colors[0] : null;
        size ??= p.Sizes.Length == 1 ? p.Sizes[0] : null;
        if (color is null) return new { error = $"choose a color for {p.Id}: one of {string.Join(", ", p.Colors)}" };
        if (size is null && p.Sizes.Length > 0) return new { error = $"choose a size for {p.Id}: one of {string.Join(", ", p.Sizes)}" };
        _purchase = (p, color, size);
        return new { purchased = p.Id, color, size, price = p.Price, text = $"You bought the {p.Title} ({color}{(size is null ? "" : ", size " + size)}) for {p.Price} dollars." };
    }
}
