using Agentic.Core.ChatCompletion;
using System.Globalization;
using Agentic.Training.Tasks.ExpertSupport;
using Microsoft.Extensions.AI;

namespace Agentic.Training.Tasks.ToolUse;

/// <summary>
/// A scripted expert for the <c>tooluse</c> suite, as an <see cref="IChatClient"/>: it reads the user's request and
/// the tool results so far, and answers with the next tool calls or the final reply. It solves every task of the
/// suite, and stays robust under tool noise the way a careful agent would: it reads every value that matters twice
/// (two calls in one turn) and acts only when two readings agree, retries calls that failed (an error object, a
/// timeout, unparseable text), finds fields under drifted names, ignores extra fields and duplicated records, and
/// retries a change only when it did not run. It also copes with user noise (see <see cref="ToolUseRequest"/>): it reads
/// the request from every customer message, merges clarifications and corrections, ignores asides and repetitions, and
/// when a fact is missing asks the customer a question that names its slot (<c>"Could you tell me the item?"</c>; a
/// question ends with '?', see <see cref="ToolUseEnvironment"/>), or asks what exactly is wanted when the request is
/// hedged. Use it for warm-start demonstrations and as an upper bound.
/// </summary>
public sealed class ToolUseExpert : ScriptedChatClient
{
    private static readonly Dictionary<string, string[]> SuccessFields = new(StringComparer.Ordinal)
    {
        ["find_customer"] = ["customer_id", "name", "email", "tier"],
        ["list_orders"] = ["orders"],
        ["get_order"] = ["order_id", "customer_id", "item", "quantity", "total", "status"],
        ["cancel_order"] = ["order_id", "status"],
        ["update_email"] = ["customer_id", "email"],
    };

    private readonly ExpertReply _reply = new();

    /// <inheritdoc />
    protected override ChatMessage Respond(IReadOnlyList<ChatMessage> messages, ChatOptions? options) => Next([.. messages]);

    private ChatMessage Next(List<ChatMessage> messages)
    {
        var request = ToolUseRequest.Read(messages);
        if (request.Goal is not { } goal)
        {
            return ExpertReply.Say("Sorry, what exactly would you like me to do?");
        }
        if (request.MissingSlots is { Count: > 0 } slots)
        {
            return ExpertReply.Say($"Could you tell me the {string.Join(" and the ", slots)}?");
        }
        string name = request.Name!;
        string? argument = request.Argument;
        var calls = ToolTranscript.Read(messages, SuccessFields);

        // Who is the customer? Two agreeing lookups.
        var lookups = calls.Where(c => c.Is("find_customer", "name", name)).ToList();
        if (lookups.FirstOrDefault(c => c.Outcome == ToolOutcome.Rejected) is { } missing)
        {
            return ExpertReply.Say($"I could not find that customer: {RobustJson.GetString(missing.Json, "error") ?? "no such customer"}.");
        }
        if (goal == ToolUseGoal.CustomerEmail)
        {
            return Read(lookups, "email") is { } email
                ? ExpertReply.Say($"The email address of {name} is {email}.")
                : ReadAgain("find_customer", lookups, ("name", name));
        }
        if (Read(lookups, "customer_id") is not { } customerId) return ReadAgain("find_customer", lookups, ("name", name));

        if (goal == ToolUseGoal.UpdateEmail)
        {
            return Change(calls.Where(c => c.Is("update_email", "customer_id", customerId)), "update_email", ("customer_id", customerId), ("email", argument!))
                ?? ExpertReply.Say($"Done: the email of {name} is now {argument}.");
        }

        // Which orders? Two agreeing listings (duplicated records are one record).
        var listings = calls.Where(c => c.Is("list_orders", "customer_id", customerId)).ToList();
        var readings = listings.Where(c => c.Succeeded).Select(c => Orders(c)).OfType<OrderLine[]>().ToList();
        if (!Consensus.TryAgree(readings, out var orders, SequenceComparer.Instance))
        {
            return _reply.Call("list_orders", Consensus.Needed(readings), ("customer_id", customerId));
        }
        if (goal == ToolUseGoal.OrderCount) return ExpertReply.Say($"{name} has {orders.Length} orders.");
        var match = orders.FirstOrDefault(o => o.Item == argument && (goal != ToolUseGoal.CancelOrder || o.Status == "pending"));
        if (match is null) return ExpertReply.Say($"{name} has no matching {argument} order.");

        if (goal == ToolUseGoal.CancelOrder)
        {
            return Change(calls.Where(c => c.Is("cancel_order", "order_id", match.OrderId)), "cancel_order", ("order_id", match.OrderId))
                ?? ExpertReply.Say($"Done: order {match.OrderId} ({argument}) is cancelled.");
        }

        var details = calls.Where(c => c.Is("get_order", "order_id", match.OrderId)).ToList();
        return Read(details, "total", numeric: true) is { } total
            ? ExpertReply.Say($"The total of the {argument} order is {total}.")
            : ReadAgain("get_order", details, ("order_id", match.OrderId));
    }

    /// <summary>The value of <paramref name="field"/> that two successful readings agree on, or null.</summary>
    private static string? Read(List<ToolExchange> readings, string field, bool numeric = false)
    {
        var values = readings.Where(r => r.Succeeded)
            .Select(r => numeric ? RobustJson.GetDecimal(r.Json, field)?.ToString(CultureInfo.InvariantCulture) : RobustJson.GetString(r.Json, field))
            .OfType<string>().ToList();
        return Consensus.TryAgree(values, out var value) ? value : null;
    }

    /// <summary>Asks for one more reading (two when there is no usable one yet).</summary>
    private ChatMessage ReadAgain(string tool, List<ToolExchange> readings, params (string Name, string Value)[] arguments) =>
        _reply.Call(tool, readings.Any(r => r.Succeeded) ? 1 : 2, arguments);

    /// <summary>
    /// Makes a change once: null when it ran; the call again when every attempt failed before running (retrying
    /// those is safe); a reply when the tool refused.
    /// </summary>
    private ChatMessage? Change(IEnumerable<ToolExchange> attempts, string tool, params (string Name, string Value)[] arguments)
    {
        var ran = attempts.FirstOrDefault(a => a.Outcome != ToolOutcome.Failed);
        if (ran is null) return _reply.Call(tool, arguments);
        return ran.Succeeded ? null : ExpertReply.Say($"I could not do that: {RobustJson.GetString(ran.Json, "error") ?? "the request was refused"}.");
    }

    /// <summary>The distinct order lines of a listing, sorted by id; null when the listing is incomplete.</summary>
    private static OrderLine[]? Orders(ToolExchange listing)
    {
        if (RobustJson.GetArray(listing.Json, "orders") is not { } array) return null;
        var lines = new SortedSet<OrderLine>(Comparer<OrderLine>.Create((a, b) => string.CompareOrdinal(a.ToString(), b.ToString())));
        foreach (var item in array)
        {
            var id = RobustJson.GetString(item, "order_id");
            var what = RobustJson.GetString(item, "item");
            var status = RobustJson.GetString(item, "status");
            if (id is null || what is null || status is null) return null;
            lines.Add(new OrderLine(id, what, status));
        }
        return [.. lines];
    }

    private sealed record OrderLine(string OrderId, string Item, string Status);

    /// <summary>Compares listings element by element.</summary>
    private sealed class SequenceComparer : IEqualityComparer<OrderLine[]>
    {
        public static readonly SequenceComparer Instance = new();

        public bool Equals(OrderLine[]? x, OrderLine[]? y) => x is not null && y is not null && x.SequenceEqual(y);

        public int GetHashCode(OrderLine[] obj) => obj.Length;
    }
}
