using System.ComponentModel;
using System.Globalization;
using System.Text.RegularExpressions;
using Agentic.Core.Agents;
using Microsoft.Extensions.AI;

namespace Agentic.Training.Tasks.ToolUse;

/// <summary>
/// The orders/accounts world of the <c>tooluse</c> suite. The episode ends when the agent replies without a tool call;
/// success requires the right answer (for questions) and exactly the intended change to the database (for actions:
/// nothing else may change).
/// </summary>
public sealed partial class ToolUseEnvironment : AgentEnvironment
{
    private readonly int _customers;
    private readonly IReadOnlyList<AIFunction> _tools;
    private ToolUseDatabase _db = new();
    private ToolUseDatabase _expected = new();
    private ToolUseTask? _task;
    private string? _expectedAnswer;

    /// <summary>Creates the environment; worlds have <paramref name="customers"/> customers.</summary>
    public ToolUseEnvironment(int customers = 6)
    {
        _customers = customers;
        _tools =
        [
            AIFunctionFactory.Create(FindCustomer, "find_customer", "Looks a customer up by full name; returns customer_id, email and tier."),
            AIFunctionFactory.Create(ListOrders, "list_orders", "Lists a customer's orders: order_id, item and status."),
            AIFunctionFactory.Create(GetOrder, "get_order", "Returns one order with its quantity, total and status."),
            AIFunctionFactory.Create(CancelOrder, "cancel_order", "Cancels a pending order."),
            AIFunctionFactory.Create(UpdateEmail, "update_email", "Changes a customer's email address."),
        ];
    }

    /// <inheritdoc />
    public override IReadOnlyList<AIFunction> Tools => _tools;

    /// <summary>The current state of the world (for inspection and tests).</summary>
    public ToolUseDatabase Database => _db;

    /// <inheritdoc />
    public override ValueTask<IReadOnlyList<ChatMessage>> ResetAsync(AgentTask task, ulong seed, CancellationToken cancellationToken = default)
    {
        _task = task as ToolUseTask ?? throw new ArgumentException($"The tooluse environment needs a {nameof(ToolUseTask)}.", nameof(task));
        _db = ToolUseDatabase.Generate(_task.DatabaseSeed, _customers);
        _expected = _db.Clone();
        var customer = _db.FindByName(_task.CustomerName) ?? throw new ArgumentException($"Task {task.Id} names an unknown customer.", nameof(task));
        var order = _db.OrdersOf(customer.Id).FirstOrDefault(o => o.Item == _task.Argument && (_task.Goal != ToolUseGoal.CancelOrder || o.Status == "pending"));
        _expectedAnswer = null;
        switch (_task.Goal)
        {
            case ToolUseGoal.CustomerEmail: _expectedAnswer = customer.Email; break;
            case ToolUseGoal.OrderCount: _expectedAnswer = _db.OrdersOf(customer.Id).Count().ToString(CultureInfo.InvariantCulture); break;
            case ToolUseGoal.OrderTotal: _expectedAnswer = order!.Total.ToString(CultureInfo.InvariantCulture); break;
            case ToolUseGoal.UpdateEmail: _expected.Customers[customer.Id] = customer with { Email = _task.Argument! }; break;
            case ToolUseGoal.CancelOrder: _expected.Orders[order!.Id] = order with { Status = "cancelled" }; break;
        }
        return ValueTask.FromResult<IReadOnlyList<ChatMessage>>(
        [
            new ChatMessage(ChatRole.System, "You are a customer-support agent for an online shop. Use the tools to look things up and make changes. Reply to the user without a tool call when you are done."),
            new ChatMessage(ChatRole.User, task.Instruction),
        ]);
    }

    /// <inheritdoc />
    public override ValueTask<EnvironmentStep> StepAsync(AgentAction action, CancellationToken cancellationToken = default)
    {
        if (action.Message.Contents.OfType<FunctionCallContent>().Any() || action.ParseErrors.Count > 0)
        {
            return ValueTask.FromResult(EnvironmentStep.Continue);
        }
        return ValueTask.FromResult(Judge(action.Message.Text));
    }

    /// <inheritdoc />
    public override ValueTask<EnvironmentStep> TruncateAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(Judge(null));

    private EnvironmentStep Judge(string? answer)
    {
        bool stateOk = _db.SameStateAs(_expected);
        bool answerOk = _expectedAnswer is null
            ? answer is not null
            : answer is not null && Regex.IsMatch(answer, $@"(?<![\w.@-]){Regex.Escape(_expectedAnswer)}(?![\w@-]|\.\w)", RegexOptions.IgnoreCase);
        double success = stateOk && answerOk ? 1 : 0;
        return new EnvironmentStep([], success, true, new Dictionary<string, double>
        {
            ["success"] = success,
            ["state_correct"] = stateOk ? 1 : 0,
            ["answer_correct"] = answerOk ? 1 : 0,
        });
    }

    [Description("Looks a customer up by full name.")]
    private object FindCustomer([Description("The customer's full name")] string name)
    {
        var c = _db.FindByName(name.Trim());
        return c is null ? new { error = $"no customer named '{name}'" } : new { customer_id = c.Id, name = c.Name, email = c.Email, tier = c.Tier };
    }

    private object ListOrders([Description("The customer id, for example C17")] string customer_id)
    {
        if (!_db.Customers.ContainsKey(customer_id)) return new { error = $"unknown customer_id '{customer_id}'" };
        return new { orders = _db.OrdersOf(customer_id).Select(o => new { order_id = o.Id, item = o.Item, status = o.Status }).ToArray() };
    }

    private object GetOrder([Description("The order id, for example O123")] string order_id)
    {
        if (!_db.Orders.TryGetValue(order_id, out var o)) return new { error = $"unknown order_id '{order_id}'" };
        return new { order_id = o.Id, customer_id = o.CustomerId, item = o.Item, quantity = o.Quantity, total = o.Total, status = o.Status };
    }

    private object CancelOrder([Description("The order id")] string order_id)
    {
        if (!_db.Orders.TryGetValue(order_id, out var o)) return new { error = $"unknown order_id '{order_id}'" };
        if (o.Status != "pending") return new { error = $"order {order_id} is {o.Status} and cannot be cancelled" };
        _db.Orders[order_id] = o with { Status = "cancelled" };
        return new { order_id, status = "cancelled" };
    }

    private object UpdateEmail([Description("The customer id")] string customer_id, [Description("The new email address")] string email)
    {
        if (!_db.Customers.TryGetValue(customer_id, out var c)) return new { error = $"unknown customer_id '{customer_id}'" };
        if (!email.Contains('@', StringComparison.Ordinal)) return new { error = $"'{email}' is not an email address" };
        _db.Customers[customer_id] = c with { Email = email.Trim() };
        return new { customer_id, email = email.Trim() };
    }
}
