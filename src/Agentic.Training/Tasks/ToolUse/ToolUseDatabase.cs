using System.Globalization;

namespace Agentic.Training.Tasks.ToolUse;

/// <summary>A customer of the orders domain.</summary>
public sealed record Customer(string Id, string Name, string Email, string Tier);

/// <summary>An order of the orders domain; totals are whole currency units.</summary>
public sealed record Order(string Id, string CustomerId, string Item, int Quantity, int Total, string Status);

/// <summary>
/// The state of the orders/accounts world: customers and their orders, generated from a seed. Tools read and change
/// it; goals are checked against the final state. <see cref="Clone"/> and <see cref="SameStateAs"/> support that check.
/// </summary>
public sealed class ToolUseDatabase
{
    private static readonly string[] FirstNames = ["Ada", "Ben", "Cleo", "Dev", "Emma", "Finn", "Gia", "Hugo", "Iris", "Jon", "Kai", "Lena", "Milo", "Nora", "Omar", "Pia", "Quinn", "Rosa", "Sam", "Tess"];
    private static readonly string[] LastNames = ["Lind", "Moreau", "Okafor", "Park", "Quist", "Rossi", "Silva", "Tanaka", "Ueda", "Vance"];
    private static readonly string[] Items = ["lamp", "desk", "chair", "kettle", "mug", "rug", "shelf", "clock", "vase", "fan"];
    private static readonly string[] Tiers = ["basic", "silver", "gold"];
    private static readonly string[] Statuses = ["pending", "shipped", "delivered"];

    /// <summary>Customers by id.</summary>
    public Dictionary<string, Customer> Customers { get; } = new(StringComparer.Ordinal);

    /// <summary>Orders by id.</summary>
    public Dictionary<string, Order> Orders { get; } = new(StringComparer.Ordinal);

    /// <summary>Generates a database of <paramref name="customers"/> customers, each with 1 to 4 orders.</summary>
    public static ToolUseDatabase Generate(ulong seed, int customers = 6)
    {
        var random = new Agentic.Core.Randomness.DeterministicRandom(seed);
        var db = new ToolUseDatabase();
        var names = FirstNames.SelectMany(f => LastNames.Select(l => $"{f} {l}")).ToArray();
        random.Shuffle(names);
        int orderNumber = 100 + random.Next(800);
        for (int c = 0; c < customers; c++)
        {
            var name = names[c];
            var id = "C" + (10 + c * 7 + random.Next(7)).ToString(CultureInfo.InvariantCulture);
            var email = $"{name.Split(' ')[0].ToLowerInvariant()}.{name.Split(' ')[1].ToLowerInvariant()}@example.com";
            db.Customers[id] = new Customer(id, name, email, Tiers[random.Next(Tiers.Length)]);
            int orders = random.Next(1, 5);
            var items = Items.ToArray();
            random.Shuffle(items);
            for (int o = 0; o < orders; o++)
            {
                var orderId = "O" + (orderNumber++).ToString(CultureInfo.InvariantCulture);
                int quantity = random.Next(1, 4);
                db.Orders[orderId] = new Order(orderId, id, items[o], quantity, quantity * random.Next(5, 60), Statuses[random.Next(Statuses.Length)]);
            }
        }
        return db;
    }

    /// <summary>A deep copy.</summary>
    public ToolUseDatabase Clone()
    {
        var copy = new ToolUseDatabase();
        foreach (var (k, v) in Customers) copy.Customers[k] = v;
        foreach (var (k, v) in Orders) copy.Orders[k] = v;
        return copy;
    }

    /// <summary>Whether both databases hold exactly the same records.</summary>
    public bool SameStateAs(ToolUseDatabase other) =>
        Customers.Count == other.Customers.Count && Orders.Count == other.Orders.Count
        && Customers.All(kv => other.Customers.TryGetValue(kv.Key, out var c) && c == kv.Value)
        && Orders.All(kv => other.Orders.TryGetValue(kv.Key, out var o) && o == kv.Value);

    /// <summary>The customer with this exact name, or null.</summary>
    public Customer? FindByName(string name) => Customers.Values.FirstOrDefault(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The orders of a customer, by id.</summary>
    public IEnumerable<Order> OrdersOf(string customerId) => Orders.Values.Where(o => o.CustomerId == customerId).OrderBy(o => o.Id, StringComparer.Ordinal);
}
