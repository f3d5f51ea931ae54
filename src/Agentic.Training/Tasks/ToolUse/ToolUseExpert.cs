using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace Agentic.Training.Tasks.ToolUse;

/// <summary>
/// A scripted expert for the <c>tooluse</c> suite, as an <see cref="IChatClient"/>: it reads the user's request and
/// the tool results so far, and answers with the next tool call or the final reply. It solves every task of the
/// suite; use it for warm-start demonstrations and as an upper bound. Requests it cannot parse get a clarifying
/// question.
/// </summary>
public sealed partial class ToolUseExpert : IChatClient
{
    private int _callNumber;

    /// <inheritdoc />
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        var list = messages.ToList();
        var reply = Next(list);
        return Task.FromResult(new ChatResponse(reply) { ModelId = nameof(ToolUseExpert) });
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<ChatResponseUpdate> GetStreamingResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null,
        [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var response = await GetResponseAsync(messages, options, cancellationToken).ConfigureAwait(false);
        foreach (var update in response.ToChatResponseUpdates()) yield return update;
    }

    /// <inheritdoc />
    public object? GetService(Type serviceType, object? serviceKey = null) => serviceKey is null && serviceType.IsInstanceOfType(this) ? this : null;

    /// <inheritdoc />
    public void Dispose() { }

    private ChatMessage Next(List<ChatMessage> messages)
    {
        var request = messages.LastOrDefault(m => m.Role == ChatRole.User)?.Text ?? "";
        var results = Results(messages);
        if (!TryParse(request, out var goal, out var name, out var argument))
        {
            return new ChatMessage(ChatRole.Assistant, "Could you tell me which customer and what you need?");
        }
        if (!results.TryGetValue("find_customer", out var customer)) return Call("find_customer", ("name", name));
        if (customer.TryGetProperty("error", out var error)) return Say($"I could not find that customer: {error.GetString()}.");
        var customerId = customer.GetProperty("customer_id").GetString()!;
        switch (goal)
        {
            case ToolUseGoal.CustomerEmail:
                return Say($"The email address of {name} is {customer.GetProperty("email").GetString()}.");
            case ToolUseGoal.UpdateEmail:
                if (!results.ContainsKey("update_email")) return Call("update_email", ("customer_id", customerId), ("email", argument!));
                return Say($"Done: the email of {name} is now {argument}.");
        }
        if (!results.TryGetValue("list_orders", out var listed)) return Call("list_orders", ("customer_id", customerId));
        var orders = listed.GetProperty("orders").EnumerateArray().ToArray();
        if (goal == ToolUseGoal.OrderCount) return Say($"{name} has {orders.Length} orders.");
        var match = orders.FirstOrDefault(o => o.GetProperty("item").GetString() == argument
            && (goal != ToolUseGoal.CancelOrder || o.GetProperty("status").GetString() == "pending"));
        if (match.ValueKind != JsonValueKind.Object) return Say($"{name} has no matching {argument} order.");
        var orderId = match.GetProperty("order_id").GetString()!;
        if (goal == ToolUseGoal.CancelOrder)
        {
            if (!results.ContainsKey("cancel_order")) return Call("cancel_order", ("order_id", orderId));
            return Say($"Done: order {orderId} ({argument}) is cancelled.");
        }
        if (!results.TryGetValue("get_order", out var order)) return Call("get_order", ("order_id", orderId));
        return Say($"The total of the {argument} order is {order.GetProperty("total").GetInt32()}.");
    }

    private static bool TryParse(string request, out ToolUseGoal goal, out string name, out string? argument)
    {
        Match m;
        argument = null;
        if ((m = EmailQuestion().Match(request)).Success) { goal = ToolUseGoal.CustomerEmail; name = m.Groups["name"].Value; return true; }
        if ((m = CountQuestion().Match(request)).Success) { goal = ToolUseGoal.OrderCount; name = m.Groups["name"].Value; return true; }
        if ((m = EmailChange().Match(request)).Success) { goal = ToolUseGoal.UpdateEmail; name = m.Groups["name"].Value; argument = m.Groups["arg"].Value; return true; }
        if ((m = CancelRequest().Match(request)).Success) { goal = ToolUseGoal.CancelOrder; name = m.Groups["name"].Value; argument = m.Groups["arg"].Value; return true; }
        if ((m = TotalQuestion().Match(request)).Success) { goal = ToolUseGoal.OrderTotal; name = m.Groups["name"].Value; argument = m.Groups["arg"].Value; return true; }
        goal = default;
        name = "";
        return false;
    }

    /// <summary>The latest successful JSON result of each tool called so far.</summary>
    private static Dictionary<string, JsonElement> Results(List<ChatMessage> messages)
    {
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        var results = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (var content in messages.SelectMany(m => m.Contents))
        {
            if (content is FunctionCallContent call) names[call.CallId] = call.Name;
            if (content is FunctionResultContent result && names.TryGetValue(result.CallId, out var tool))
            {
                try
                {
                    var json = result.Result is JsonElement e ? e : JsonDocument.Parse(result.Result?.ToString() ?? "null").RootElement;
                    if (json.ValueKind == JsonValueKind.Object) results[tool] = json.Clone();
                }
                catch (JsonException)
                {
                    // A non-JSON result (an error text): the tool counts as not yet answered, so the call is retried.
                }
            }
        }
        return results;
    }

    private ChatMessage Call(string tool, params (string Name, string Value)[] arguments) =>
        new(ChatRole.Assistant, [new FunctionCallContent($"call_{_callNumber++}", tool, arguments.ToDictionary(a => a.Name, a => (object?)a.Value))]);

    private static ChatMessage Say(string text) => new(ChatRole.Assistant, text);

    [GeneratedRegex(@"email address of (?<name>[A-Z][a-z]+ [A-Z][a-z]+)\?")]
    private static partial Regex EmailQuestion();

    [GeneratedRegex(@"How many orders does (?<name>[A-Z][a-z]+ [A-Z][a-z]+) have\?")]
    private static partial Regex CountQuestion();

    [GeneratedRegex(@"change the email of (?<name>[A-Z][a-z]+ [A-Z][a-z]+) to (?<arg>\S+@\S+?)\.?$")]
    private static partial Regex EmailChange();

    [GeneratedRegex(@"Cancel the pending (?<arg>\w+) order of (?<name>[A-Z][a-z]+ [A-Z][a-z]+)\.")]
    private static partial Regex CancelRequest();

    [GeneratedRegex(@"total of the (?<arg>\w+) order of (?<name>[A-Z][a-z]+ [A-Z][a-z]+)\?")]
    private static partial Regex TotalQuestion();
}
