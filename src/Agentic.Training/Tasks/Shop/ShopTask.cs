namespace Agentic.Training.Tasks.Shop;

/// <summary>
/// What the shopper asks for: a product type and up to six further constraints (material, feature, color, size,
/// a price bound and a least rating). Unset constraints are null.
/// </summary>
/// <param name="Type">The product type, for example <c>shirt</c> (always set).</param>
/// <param name="Material">Required material, for example <c>cotton</c>.</param>
/// <param name="Feature">Required feature, for example <c>waterproof</c>.</param>
/// <param name="Color">Required color option.</param>
/// <param name="Size">Required size option.</param>
/// <param name="MaxPrice">The price must be below this many dollars.</param>
/// <param name="MinRating">The rating must be at least this many stars.</param>
public sealed record ShopConstraints(string Type, string? Material = null, string? Feature = null, string? Color = null, string? Size = null,
    decimal? MaxPrice = null, double? MinRating = null)
{
    /// <summary>Number of constraints besides the type: the task's difficulty.</summary>
    public int Count =>
        (Material is null ? 0 : 1) + (Feature is null ? 0 : 1) + (Color is null ? 0 : 1) + (Size is null ? 0 : 1)
        + (MaxPrice is null ? 0 : 1) + (MinRating is null ? 0 : 1);
}

/// <summary>A task of the <c>shop</c> suite.</summary>
/// <param name="Id">Stable id.</param>
/// <param name="Instruction">The shopper's request, for example "I need a red cotton shirt in size M, under 30 dollars."</param>
/// <param name="Difficulty">Number of constraints besides the product type.</param>
/// <param name="CatalogueSeed">Seed of the generated catalogue.</param>
/// <param name="Products">Products in the catalogue.</param>
/// <param name="Constraints">The constraints the bought product is scored against.</param>
public sealed record ShopTask(string Id, string Instruction, int Difficulty, ulong CatalogueSeed, int Products, ShopConstraints Constraints)
    : Agentic.Core.Agents.AgentTask(Id, ShopSuite.Name, Instruction, Difficulty);
