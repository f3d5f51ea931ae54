using System.Globalization;
using Agentic.Core.Randomness;

namespace Agentic.Training.Tasks.Shop;

/// <summary>A product of the catalogue. Colors and sizes are options chosen at purchase; an empty list means none.</summary>
internal sealed record ShopProduct(string Id, string Title, string Type, string Material, string[] Features, string[] Colors, string[] Sizes,
    decimal Price, double Rating)
{
    /// <summary>Lower-case search tokens: title, type, material, features and colors.</summary>
    public HashSet<string> Tokens { get; } = new(ShopCatalogue.Tokenize($"{Title} {Type} {Material} {string.Join(' ', Features)} {string.Join(' ', Colors)}"), StringComparer.Ordinal);

    /// <summary>Whether some choice of options makes this product meet every constraint.</summary>
    public bool Satisfies(ShopConstraints c) =>
        Type == c.Type
        && (c.Material is null || Material == c.Material)
        && (c.Feature is null || Features.Contains(c.Feature))
        && (c.Color is null || Colors.Contains(c.Color))
        && (c.Size is null || Sizes.Contains(c.Size))
        && (c.MaxPrice is null || Price < c.MaxPrice)
        && (c.MinRating is null || Rating >= c.MinRating);
}

/// <summary>A generated product catalogue with a simple token-match search.</summary>
internal sealed class ShopCatalogue
{
    /// <summary>Results per search.</summary>
    public const int PageSize = 5;

    private static readonly string[] LetterSizes = ["XS", "S", "M", "L", "XL"];
    private static readonly string[] WaistSizes = ["28", "30", "32", "34", "36"];
    private static readonly string[] ShoeSizes = ["6", "7", "8", "9", "10", "11", "12"];
    private static readonly string[] ApparelMaterials = ["cotton", "linen", "wool", "polyester", "silk"];

    /// <summary>Product types: name, size range (empty = one size), materials, price range in dollars.</summary>
    public static readonly (string Type, string[] Sizes, string[] Materials, int MinPrice, int MaxPrice)[] Types =
    [
        ("shirt", LetterSizes, ApparelMaterials, 12, 60),
        ("dress", LetterSizes, ApparelMaterials, 20, 120),
        ("sweater", LetterSizes, ["wool", "cotton", "cashmere", "polyester"], 20, 110),
        ("hoodie", LetterSizes, ["cotton", "polyester", "fleece"], 18, 70),
        ("jacket", LetterSizes, ["denim", "leather", "polyester", "wool"], 30, 160),
        ("jeans", WaistSizes, ["denim"], 20, 90),
        ("sneakers", ShoeSizes, ["canvas", "leather", "mesh", "suede"], 25, 140),
        ("boots", ShoeSizes, ["leather", "suede", "rubber"], 40, 180),
        ("sandals", ShoeSizes, ["leather", "rubber", "cork"], 15, 70),
        ("hat", [], ["wool", "cotton", "straw", "felt"], 8, 45),
        ("scarf", [], ["wool", "silk", "cashmere", "cotton"], 10, 60),
        ("backpack", [], ["nylon", "canvas", "leather", "polyester"], 20, 120),
    ];

    /// <summary>Features a product may have.</summary>
    public static readonly string[] Features = ["waterproof", "machine washable", "slim fit", "organic", "lightweight", "breathable", "recycled"];

    /// <summary>Colors a product may come in.</summary>
    public static readonly string[] Colors = ["red", "blue", "black", "white", "green", "gray", "navy", "beige", "pink", "yellow", "brown"];

    private static readonly string[] Brands = ["Northwind", "Contoso", "Fabrikam", "Tailspin", "Litware", "Adatum", "Woodgrove", "Proseware", "Alpine", "Coho"];

    /// <summary>Products in catalogue order.</summary>
    public List<ShopProduct> Products { get; } = [];

    /// <summary>Products by id.</summary>
    public Dictionary<string, ShopProduct> ById { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Generates a catalogue of <paramref name="products"/> products from <paramref name="seed"/>.</summary>
    public static ShopCatalogue Generate(ulong seed, int products)
    {
        var random = new DeterministicRandom(seed);
        var catalogue = new ShopCatalogue();
        while (catalogue.Products.Count < products)
        {
            var kind = Types[random.Next(Types.Length)];
            var id = "P" + random.Next(10000, 100000).ToString(CultureInfo.InvariantCulture);
            if (catalogue.ById.ContainsKey(id)) continue;
            var material = kind.Materials[random.Next(kind.Materials.Length)];
            var features = random.GetItems(Features, random.Next(0, 3)).Distinct().Order(StringComparer.Ordinal).ToArray();
            var colors = random.GetItems(Colors, random.Next(1, 5)).Distinct().ToArray();
            var sizes = kind.Sizes.Length == 0 ? [] : kind.Sizes.Where(_ => random.NextDouble() < 0.7).DefaultIfEmpty(kind.Sizes[kind.Sizes.Length / 2]).ToArray();
            var price = random.Next(kind.MinPrice, kind.MaxPrice) + 0.99m;
            var rating = Math.Round(2.5 + random.Next(0, 26) / 10.0, 1);
            var brand = Brands[random.Next(Brands.Length)];
            var title = $"{brand} {(features.Length > 0 ? Capitalize(features[0]) + " " : "")}{Capitalize(material)} {Capitalize(kind.Type)}";
            var product = new ShopProduct(id, title, kind.Type, material, features, colors, sizes, price, rating);
            catalogue.Products.Add(product);
            catalogue.ById[id] = product;
        }
        return catalogue;
    }

    /// <summary>The top <see cref="PageSize"/> products by number of distinct query tokens matched (then rating, then id).</summary>
    public IReadOnlyList<ShopProduct> Search(string query)
    {
        var tokens = Tokenize(query).Distinct(StringComparer.Ordinal).ToArray();
        return Products
            .Select(p => (Product: p, Score: tokens.Count(p.Tokens.Contains)))
            .Where(x => x.Score > 0)
            .OrderByDescending(x => x.Score).ThenByDescending(x => x.Product.Rating).ThenBy(x => x.Product.Id, StringComparer.Ordinal)
            .Take(PageSize)
            .Select(x => x.Product)
            .ToArray();
    }

    /// <summary>Lower-case letter-and-digit tokens.</summary>
    public static IEnumerable<string> Tokenize(string text)
    {
        var token = new System.Text.StringBuilder();
        foreach (var ch in text + " ")
        {
            if (char.IsLetterOrDigit(ch)) token.Append(char.ToLowerInvariant(ch));
            else if (token.Length > 0)
            {
                yield return token.ToString();
                token.Clear();
            }
        }
    }

    /// <summary>The query the scripted expert sends for <paramref name="c"/>: the words of type, color, material and feature.</summary>
    public static string QueryFor(ShopConstraints c) =>
        string.Join(' ', new[] { c.Color, c.Material, c.Feature, c.Type }.Where(w => w is not null));

    private static string Capitalize(string words) => string.Join(' ', words.Split(' ').Select(w => char.ToUpperInvariant(w[0]) + w[1..]));
}
