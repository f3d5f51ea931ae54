namespace Agentic.Training.Tasks.ToolUse;

/// <summary>The goals of the orders domain, each a connected path through the tool graph.</summary>
public enum ToolUseGoal
{
    /// <summary>Answer a customer's email: find_customer (difficulty 1).</summary>
    CustomerEmail,

    /// <summary>Answer how many orders a customer has: find_customer, list_orders (difficulty 2).</summary>
    OrderCount,

    /// <summary>Change a customer's email: find_customer, update_email (difficulty 2).</summary>
    UpdateEmail,

    /// <summary>Cancel a customer's pending order of an item: find_customer, list_orders, cancel_order (difficulty 3).</summary>
    CancelOrder,

    /// <summary>Answer the total of a customer's order of an item: find_customer, list_orders, get_order (difficulty 3).</summary>
    OrderTotal,
}

/// <summary>A task of the <c>tooluse</c> suite.</summary>
/// <param name="Id">Stable id.</param>
/// <param name="Instruction">The user's request.</param>
/// <param name="Difficulty">Number of tools on the goal's path.</param>
/// <param name="DatabaseSeed">Seed of the world's initial state.</param>
/// <param name="Goal">What must be achieved.</param>
/// <param name="CustomerName">The customer the goal is about.</param>
/// <param name="Argument">The goal's argument: the new email, or the item.</param>
public sealed record ToolUseTask(string Id, string Instruction, int Difficulty, ulong DatabaseSeed, ToolUseGoal Goal, string CustomerName, string? Argument)
    : Agentic.Core.Agents.AgentTask(Id, ToolUseSuite.Name, Instruction, Difficulty)
{
    /// <summary>The slot of the customer's full name (every goal).</summary>
    public const string NameSlot = "name";

    /// <summary>The slot of the item of the order (<see cref="ToolUseGoal.CancelOrder"/>, <see cref="ToolUseGoal.OrderTotal"/>).</summary>
    public const string ItemSlot = "item";

    /// <summary>The slot of the new email address (<see cref="ToolUseGoal.UpdateEmail"/>).</summary>
    public const string NewEmailSlot = "new email";

    /// <summary>
    /// The facts the customer states in the instruction, by slot (<see cref="NameSlot"/>, <see cref="ItemSlot"/>,
    /// <see cref="NewEmailSlot"/>): what the simulated customer knows and what user noise may withhold.
    /// </summary>
    public IReadOnlyDictionary<string, string> UserSlots
    {
        get
        {
            var slots = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase) { [NameSlot] = CustomerName };
            if (Argument is not null) slots[Goal == ToolUseGoal.UpdateEmail ? NewEmailSlot : ItemSlot] = Argument;
            return slots;
        }
    }
}
