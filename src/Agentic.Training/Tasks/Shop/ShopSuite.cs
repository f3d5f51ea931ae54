using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Agentic.Core.Agents;

namespace Agentic.Training.Tasks.Shop;

/// <summary>Options of the <c>shop</c> suite.</summary>
public sealed class ShopSuiteOptions
{
    /// <summary>Fewest constraints (besides the product type) a sampled instruction has.</summary>
    [Range(1, 6)] public int MinDifficulty { get; set; } = 1;

    /// <summary>Most constraints (besides the product type) a sampled instruction has.</summary>
    [Range(1, 6)] public int MaxDifficulty { get; set; } = 5;

    /// <summary>Products per generated catalogue.</summary>
    [Range(10, 10_000)] public int Products { get; set; } = 80;

    /// <summary>Share of catalogues (by seed hash) reserved for the held-out split.</summary>
    [Range(0.01, 0.5)] public double HeldOutFraction { get; set; } = 0.2;

    /// <summary>Throws <see cref="ValidationException"/> when an option is out of range.</summary>
    public void Validate()
    {
        Validator.ValidateObject(this, new ValidationContext(this), validateAllProperties: true);
        if (MinDifficulty > MaxDifficulty) throw new ValidationException("MinDifficulty must not exceed MaxDifficulty.");
    }
}

/// <summary>
/// The <c>shop</c> suite (WebShop-like): a generated catalogue, search/view/buy tools, and instructions with attribute
/// constraints ("I need a red cotton shirt in size M, under 30 dollars"). The tools form a dependency graph
/// (<see cref="ToolGraph"/>: search → view → buy); each constraint is checked at one of them (type, material, feature
/// and color narrow the search; price and rating show in its results; options and features need a view; the options
/// are chosen at buy), and the number of constraints is the task's difficulty, a sampling parameter. Every task has
/// a product meeting all its constraints among the top results of the search for its words. Catalogues are
/// generated from seeds; a seed hash separates training from held-out catalogues.
/// </summary>
public sealed class ShopSuite : ITaskSuite
{
    /// <summary>The suite's command-line name.</summary>
    public const string Name = "shop";

    private const int MaxAttemptsPerTask = 10_000;
    private static readonly string[] Openings = ["I need", "I am looking for", "Find me", "Please buy me"];
    private static readonly double[] RatingBounds = [3.0, 3.5, 4.0, 4.5];

    /// <summary>The tool dependency graph: each tool and the tools whose output it needs.</summary>
    public static IReadOnlyDictionary<string, string[]> ToolGraph { get; } = new Dictionary<string, string[]>
    {
        ["search"] = [],
        ["view"] = ["search"],
        ["buy"] = ["view"],
    };

    private readonly ShopSuiteOptions _options;

    /// <summary>Creates the suite.</summary>
    /// <exception cref="ValidationException">An option is out of range.</exception>
    public ShopSuite(ShopSuiteOptions? options = null)
    {
        _options = options ?? new ShopSuiteOptions();
        _options.Validate();
    }

    /// <inheritdoc />
    public string Suite => Name;

    /// <summary>The suite's options.</summary>
    public ShopSuiteOptions Options => _options;

    /// <summary>Whether the catalogue generated from <paramref name="catalogueSeed"/> is held out.</summary>
    public bool IsHeldOut(ulong catalogueSeed)
    {
        return HeldOutSplit.IsHeldOut(unchecked(catalogueSeed + 0x9E3779B97F4A7C15UL), _options.HeldOutFraction);
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">No catalogue of the configured size has a task of a sampled difficulty.</exception>
    public IReadOnlyList<AgentTask> SampleTraining(Random random, int count) => Sample(random, count, heldOut: false);

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">No catalogue of the configured size has a task of a sampled difficulty.</exception>
    public IReadOnlyList<AgentTask> HeldOut(int count) => Sample(new Agentic.Core.Randomness.DeterministicRandom(0x5EED_5409UL), count, heldOut: true);

    private IReadOnlyList<AgentTask> Sample(Random random, int count, bool heldOut) =>
        SeededTaskSampler.Sample(random, count, heldOut, _options.MinDifficulty, _options.MaxDifficulty, MaxAttemptsPerTask, IsHeldOut, TryCreate,
            difficulty => $"No catalogue of {_options.Products} products has a task of difficulty {difficulty}.");

    /// <summary>
    /// Creates a task of exactly <paramref name="difficulty"/> constraints for the catalogue of
    /// <paramref name="catalogueSeed"/>: picks a target product with <paramref name="random"/>, asks for its type and
    /// <paramref name="difficulty"/> of its attributes, and keeps the task only when the search for its words shows a
    /// product meeting them all; null when a few tries find none.
    /// </summary>
    public ShopTask? TryCreate(ulong catalogueSeed, int difficulty, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var catalogue = ShopCatalogue.Generate(catalogueSeed, _options.Products);
        for (int attempt = 0; attempt < 8; attempt++)
        {
            var target = catalogue.Products[random.Next(catalogue.Products.Count)];
            var available = new List<string> { "material", "color", "price" };
            if (target.Features.Length > 0) available.Add("feature");
            if (target.Sizes.Length > 0) available.Add("size");
            if (target.Rating >= RatingBounds[0]) available.Add("rating");
            if (available.Count < difficulty) continue;
            var order = available.ToArray();
            random.Shuffle(order);
            var pick = order.Take(difficulty).ToHashSet();
            var constraints = new ShopConstraints(target.Type,
                Material: pick.Contains("material") ? target.Material : null,
                Feature: pick.Contains("feature") ? target.Features[random.Next(target.Features.Length)] : null,
                Color: pick.Contains("color") ? target.Colors[random.Next(target.Colors.Length)] : null,
                Size: pick.Contains("size") ? target.Sizes[random.Next(target.Sizes.Length)] : null,
                MaxPrice: pick.Contains("price") ? (Math.Ceiling((target.Price + 1) / 5) + random.Next(0, 3)) * 5 : null,
                MinRating: pick.Contains("rating") ? RatingBounds.Where(r => r <= target.Rating).Max() : null);
            if (!catalogue.Search(ShopCatalogue.QueryFor(constraints)).Any(p => p.Satisfies(constraints))) continue;
            var id = $"{Name}-{catalogueSeed:x}-{target.Id}-{difficulty}";
            return new ShopTask(id, Describe(constraints, Openings[random.Next(Openings.Length)]), difficulty, catalogueSeed, _options.Products, constraints);
        }
        return null;
    }

    private static string Describe(ShopConstraints c, string opening)
    {
        var noun = string.Join(' ', new[] { c.Color, c.Material, c.Type }.Where(w => w is not null));
        bool plural = c.Type is "jeans" or "sneakers" or "boots" or "sandals";
        var article = plural ? "a pair of" : "aeiou".Contains(noun[0], StringComparison.Ordinal) ? "an" : "a";
        var text = $"{opening} {article} {noun}";
        if (c.Feature is not null) text += $" that {(plural ? "are" : "is")} {c.Feature}";
        if (c.Size is not null) text += $" in size {c.Size}";
        if (c.MinRating is { } rating) text += $", rated at least {rating.ToString("0.0", CultureInfo.InvariantCulture)} stars";
        if (c.MaxPrice is { } price) text += $", under {price.ToString("0", CultureInfo.InvariantCulture)} dollars";
        return text + ".";
    }

    /// <summary>Creates a fresh environment for this suite (one per concurrent episode).</summary>
    public ShopEnvironment CreateEnvironment() => new();

    AgentEnvironment ITaskSuite.CreateEnvironment() => CreateEnvironment();

    /// <inheritdoc />
    public Microsoft.Extensions.AI.IChatClient CreateExpert() => new ShopExpert();
}
