using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Agentic.Core.Agents;

namespace Agentic.Training.Tasks.ToolUse;

/// <summary>Options of the <c>tooluse</c> suite.</summary>
public sealed class ToolUseSuiteOptions
{
    /// <summary>Fewest tools a sampled goal needs.</summary>
    [Range(1, 3)] public int MinDifficulty { get; set; } = 1;

    /// <summary>Most tools a sampled goal needs.</summary>
    [Range(1, 3)] public int MaxDifficulty { get; set; } = 3;

    /// <summary>Customers per generated world.</summary>
    [Range(2, 50)] public int Customers { get; set; } = 6;

    /// <summary>Share of worlds (by seed hash) reserved for the held-out split.</summary>
    [Range(0.01, 0.5)] public double HeldOutFraction { get; set; } = 0.2;

    /// <summary>Throws <see cref="ValidationException"/> when an option is out of range.</summary>
    public void Validate()
    {
        Validator.ValidateObject(this, new ValidationContext(this), validateAllProperties: true);
        if (MinDifficulty > MaxDifficulty) throw new ValidationException("MinDifficulty must not exceed MaxDifficulty.");
    }
}

/// <summary>
/// The <c>tooluse</c> suite (tau-bench-like): an orders/accounts world with tools that read and change it. The tools
/// form a dependency graph (find_customer → list_orders → get_order / cancel_order; find_customer → update_email);
/// each goal is a connected path through it, and its length is the task's difficulty, a sampling parameter.
/// Tasks are procedurally generated from seeds; a seed hash separates training from held-out worlds.
/// </summary>
public sealed class ToolUseSuite : ITaskSuite
{
    /// <summary>The suite's command-line name.</summary>
    public const string Name = "tooluse";

    /// <summary>The tool dependency graph: each tool and the tools whose output it needs.</summary>
    public static IReadOnlyDictionary<string, string[]> ToolGraph { get; } = new Dictionary<string, string[]>
    {
        ["find_customer"] = [],
        ["list_orders"] = ["find_customer"],
        ["update_email"] = ["find_customer"],
        ["get_order"] = ["list_orders"],
        ["cancel_order"] = ["list_orders"],
    };

    /// <summary>The tool path of each goal (a connected subgraph of <see cref="ToolGraph"/>).</summary>
    public static IReadOnlyDictionary<ToolUseGoal, string[]> GoalPaths { get; } = new Dictionary<ToolUseGoal, string[]>
    {
        [ToolUseGoal.CustomerEmail] = ["find_customer"],
        [ToolUseGoal.OrderCount] = ["find_customer", "list_orders"],
        [ToolUseGoal.UpdateEmail] = ["find_customer", "update_email"],
        [ToolUseGoal.CancelOrder] = ["find_customer", "list_orders", "cancel_order"],
        [ToolUseGoal.OrderTotal] = ["find_customer", "list_orders", "get_order"],
    };

    private readonly ToolUseSuiteOptions _options;

    /// <summary>Creates the suite.</summary>
    public ToolUseSuite(ToolUseSuiteOptions? options = null)
    {
        _options = options ?? new ToolUseSuiteOptions();
        _options.Validate();
    }

    /// <inheritdoc />
    public string Suite => Name;

    /// <summary>The suite's options.</summary>
    public ToolUseSuiteOptions Options => _options;

    /// <summary>Whether worlds generated from <paramref name="databaseSeed"/> are held out.</summary>
    public bool IsHeldOut(ulong databaseSeed)
    {
        return HeldOutSplit.IsHeldOut(unchecked(databaseSeed + 0x9E3779B97F4A7C15UL), _options.HeldOutFraction);
    }

    /// <inheritdoc />
    public IReadOnlyList<AgentTask> SampleTraining(Random random, int count)
    {
        ArgumentNullException.ThrowIfNull(random);
        var tasks = new List<AgentTask>(count);
        while (tasks.Count < count)
        {
            ulong seed = (ulong)random.NextInt64(1, long.MaxValue);
            if (IsHeldOut(seed)) continue;
            tasks.Add(Create(seed, random));
        }
        return tasks;
    }

    /// <inheritdoc />
    public IReadOnlyList<AgentTask> HeldOut(int count)
    {
        var random = new Agentic.Core.Randomness.DeterministicRandom(0x5EED_0E7A1UL);
        var tasks = new List<AgentTask>(count);
        while (tasks.Count < count)
        {
            ulong seed = (ulong)random.NextInt64(1, long.MaxValue);
            if (!IsHeldOut(seed)) continue;
            tasks.Add(Create(seed, random));
        }
        return tasks;
    }

    /// <summary>Creates the task for the world of <paramref name="databaseSeed"/>, choosing the goal with <paramref name="random"/>.</summary>
    public ToolUseTask Create(ulong databaseSeed, Random random)
    {
        var db = ToolUseDatabase.Generate(databaseSeed, _options.Customers);
        var goals = GoalPaths.Where(g => g.Value.Length >= _options.MinDifficulty && g.Value.Length <= _options.MaxDifficulty).Select(g => g.Key).ToArray();
        while (true)
        {
            var goal = goals[random.Next(goals.Length)];
            var customer = db.Customers.Values.OrderBy(c => c.Id, StringComparer.Ordinal).ElementAt(random.Next(db.Customers.Count));
            var orders = db.OrdersOf(customer.Id).ToArray();
            string id = $"{Name}-{databaseSeed:x}-{goal}";
            switch (goal)
            {
                case ToolUseGoal.CustomerEmail:
                    return new ToolUseTask(id, $"What is the email address of {customer.Name}?", 1, databaseSeed, goal, customer.Name, null);
                case ToolUseGoal.OrderCount:
                    return new ToolUseTask(id, $"How many orders does {customer.Name} have?", 2, databaseSeed, goal, customer.Name, null);
                case ToolUseGoal.UpdateEmail:
                    var email = $"{customer.Name.Split(' ')[0].ToLowerInvariant()}{random.Next(10, 99).ToString(CultureInfo.InvariantCulture)}@mail.test";
                    return new ToolUseTask(id, $"Please change the email of {customer.Name} to {email}.", 2, databaseSeed, goal, customer.Name, email);
                case ToolUseGoal.CancelOrder:
                    var pending = orders.Where(o => o.Status == "pending").ToArray();
                    if (pending.Length == 0) continue;
                    var item = pending[random.Next(pending.Length)].Item;
                    return new ToolUseTask(id, $"Cancel the pending {item} order of {customer.Name}.", 3, databaseSeed, goal, customer.Name, item);
                case ToolUseGoal.OrderTotal:
                    var order = orders[random.Next(orders.Length)];
                    return new ToolUseTask(id, $"What is the total of the {order.Item} order of {customer.Name}?", 3, databaseSeed, goal, customer.Name, order.Item);
            }
        }
    }

    /// <summary>Creates a fresh environment for this suite (one per concurrent episode).</summary>
    public ToolUseEnvironment CreateEnvironment() => new(_options.Customers);

    AgentEnvironment ITaskSuite.CreateEnvironment() => CreateEnvironment();

    /// <inheritdoc />
    public Microsoft.Extensions.AI.IChatClient CreateExpert() => new ToolUseExpert();
}
