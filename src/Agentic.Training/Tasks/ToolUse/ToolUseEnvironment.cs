using System.ComponentModel;
using System.Globalization;
using System.Text.RegularExpressions;
using Agentic.Core.Agents;
using Microsoft.Extensions.AI;

namespace Agentic.Training.Tasks.ToolUse;

/// <summary>
/// The orders/accounts world of the <c>tooluse</c> suite, with a simulated customer in the loop
/// (<see cref="ISimulatedUserEnvironment"/>; <see cref="ToolUseCustomer"/> by default). The customer writes the opening
/// request (in a clean episode it states every detail, so the agent need not ask). A reply without a tool call whose
/// text ends with <c>'?'</c> is a question to the customer, whose answer is the next observation; any other reply
/// without a tool call is the final answer and ends the episode. Success requires the right answer (for questions) and
/// exactly the intended change to the database (for actions: nothing else may change).
/// </summary>
public sealed partial class ToolUseEnvironment : AgentEnvironment, ISimulatedUserEnvironment
{
    private readonly int _customers;
    private readonly IReadOnlyList<AIFunction> _tools;
    private ToolUseDatabase _db = new();
    private ToolUseDatabase _expected = new();
    private ToolUseTask? _task;
    private string? _expectedAnswer;
    private readonly SimulatedUserConversation _user;

    /// <summary>Creates the environment; worlds have <paramref name="customers"/> customers.</summary>
    /// <param name="customers">Customers per generated world.</param>
    /// <param name="customer">The simulated customer; <see langword="null"/> for a <see cref="ToolUseCustomer"/>.</param>
    public ToolUseEnvironment(int customers = 6, IChatClient? customer = null)
    {
        _customers = customers;
        _user = new SimulatedUserConversation(customer ?? new ToolUseCustomer());
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
    public IChatClient SimulatedUser
    {
        get => _user.User;
        set => _user.User = value;
    }

    /// <inheritdoc />
    public IReadOnlyDictionary<string, string> GetUserSlots(AgentTask task) =>
        (task as ToolUseTask ?? throw new ArgumentException($"The tooluse environment needs a {nameof(ToolUseTask)}.", nameof(task))).UserSlots;

    /// <inheritdoc />
    public override async ValueTask<IReadOnlyList<ChatMessage>> ResetAsync(AgentTask task, ulong seed, CancellationToken cancellationToken = default)
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
        _user.Start(ToolUseCustomer.Brief(_task));
        var opening = await _user.AskAsync(Greeting, cancellationToken).ConfigureAwait(false);
        return
        [
            new ChatMessage(ChatRole.System, "You are a customer-support agent for an online shop. Use the tools to look things up and make changes. Reply to the user without a tool call when you are done."),
            new ChatMessage(ChatRole.User, opening),
        ];
    }

    /// <inheritdoc />
    public override async ValueTask<EnvironmentStep> StepAsync(AgentAction action, CancellationToken cancellationToken = default)
    {
        if (action.Message.Contents.OfType<FunctionCallContent>().Any() || action.ParseErrors.Count > 0)
        {
            return EnvironmentStep.Continue;
        }
        var text = action.Message.Text;
        if (!IsQuestion(text)) return Judge(text);
        var reply = await _user.AskAsync(text, cancellationToken).ConfigureAwait(false);
        return new EnvironmentStep([new ChatMessage(ChatRole.User, reply)], 0, false, new Dictionary<string, double>());
    }

    /// <summary>Whether a reply without tool calls is a question to the customer (its text ends with '?') rather than the final answer.</summary>
    /// <param name="text">The text of the agent's reply.</param>
    /// <returns><see langword="true"/> for a question.</returns>
    public static bool IsQuestion(string? text) => text is not null && text.TrimEnd().EndsWith('?');

    /// <summary>The agent's hidden first line to the customer, which makes it open the conversation.</summary>
    private const string Greeting = "Hi! How can I help you today?";

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
