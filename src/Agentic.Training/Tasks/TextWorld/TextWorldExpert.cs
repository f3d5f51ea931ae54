using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.AI;

namespace Agentic.Training.Tasks.TextWorld;

/// <summary>
/// A scripted expert for the <c>textworld</c> suite, as an <see cref="IChatClient"/>. It sees only what the agent
/// sees: it reads the goal from the user's message, builds a map from the tool results so far (rooms and doors,
/// receptacles, what is in them, what it carries), and answers with the next action: explore (open closed
/// receptacles, then walk to the nearest unvisited room) until the object is found, take it, walk to the sink or
/// microwave, transform it, walk to the target, open it, put the object, and reply. It solves every task of the suite.
/// </summary>
public sealed partial class TextWorldExpert : IChatClient
{
    private int _callNumber;

    /// <inheritdoc />
    public Task<ChatResponse> GetResponseAsync(IEnumerable<ChatMessage> messages, ChatOptions? options = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(messages);
        return Task.FromResult(new ChatResponse(Next([.. messages])) { ModelId = nameof(TextWorldExpert) });
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
        var m = GoalPattern().Match(request);
        if (!m.Success) return Say("What should I do? Please name the object and where it should go.");
        var obj = m.Groups["obj"].Value;
        var receptacle = m.Groups["rec"].Value;
        var transform = m.Groups["t"].Value switch { "clean" => TextWorldTransform.Clean, "hot" => TextWorldTransform.Heat, _ => TextWorldTransform.None };

        var map = new Map();
        foreach (var result in Results(messages)) map.Apply(result);
        if (map.Here is null) return Call("look");

        if (map.Placed.Contains((obj, receptacle)) && (transform == TextWorldTransform.None || map.Transformed.Contains((obj, transform))))
        {
            return Say($"Done: {(transform == TextWorldTransform.None ? "the" : transform == TextWorldTransform.Clean ? "a clean" : "a hot")} {obj} is {m.Groups["in"].Value} the {receptacle}.");
        }
        if (!map.Inventory.Contains(obj))
        {
            if (map.ObjectAt.TryGetValue(obj, out var container))
            {
                var room = map.RoomOf[container];
                if (room != map.Here) return Walk(map, room) ?? Say($"I cannot reach the {room}.");
                if (map.IsOpen[container] == false) return Call("open", ("receptacle", container));
                return Call("take", ("object", obj));
            }
            var closed = map.RoomOf.Where(r => r.Value == map.Here && map.IsOpen[r.Key] == false).Select(r => r.Key).Order(StringComparer.Ordinal).FirstOrDefault();
            if (closed is not null) return Call("open", ("receptacle", closed));
            return Explore(map) ?? Say($"I searched the whole house and found no {obj}.");
        }
        if (transform != TextWorldTransform.None && !map.Transformed.Contains((obj, transform)))
        {
            var device = transform == TextWorldTransform.Clean ? TextWorldState.Sink : TextWorldState.Microwave;
            if (!map.RoomOf.TryGetValue(device, out var deviceRoom)) return Explore(map) ?? Say($"There is no {device} in this house.");
            if (deviceRoom != map.Here) return Walk(map, deviceRoom) ?? Say($"I cannot reach the {deviceRoom}.");
            return Call(transform == TextWorldTransform.Clean ? "clean" : "heat", ("object", obj));
        }
        if (!map.RoomOf.TryGetValue(receptacle, out var targetRoom)) return Explore(map) ?? Say($"There is no {receptacle} in this house.");
        if (targetRoom != map.Here) return Walk(map, targetRoom) ?? Say($"I cannot reach the {targetRoom}.");
        if (map.IsOpen[receptacle] == false) return Call("open", ("receptacle", receptacle));
        return Call("put", ("object", obj), ("receptacle", receptacle));
    }

    /// <summary>The next step towards <paramref name="room"/> through rooms already seen.</summary>
    private ChatMessage? Walk(Map map, string room)
    {
        var next = map.FirstStep(r => r == room);
        return next is null ? null : Call("go", ("room", next));
    }

    /// <summary>The next step towards the nearest room not visited yet.</summary>
    private ChatMessage? Explore(Map map)
    {
        var next = map.FirstStep(r => !map.Exits.ContainsKey(r));
        return next is null ? null : Call("go", ("room", next));
    }

    /// <summary>Successful JSON results of the tool calls so far, in order (errors and non-JSON results are skipped).</summary>
    private static IEnumerable<JsonElement> Results(List<ChatMessage> messages)
    {
        foreach (var content in messages.SelectMany(m => m.Contents))
        {
            if (content is not FunctionResultContent result) continue;
            JsonElement json;
            try
            {
                json = result.Result is JsonElement e ? e : JsonDocument.Parse(result.Result?.ToString() ?? "null").RootElement;
            }
            catch (JsonException)
            {
                continue; // A non-JSON result (an error text) changed nothing.
            }
            if (json.ValueKind == JsonValueKind.Object && !json.TryGetProperty("error", out _)) yield return json.Clone();
        }
    }

    private ChatMessage Call(string tool, params (string Name, string Value)[] arguments) =>
        new(ChatRole.Assistant, [new FunctionCallContent($"call_{_callNumber++}", tool, arguments.ToDictionary(a => a.Name, a => (object?)a.Value))]);

    private static ChatMessage Say(string text) => new(ChatRole.Assistant, text);

    [GeneratedRegex(@"put (?:the (?<obj>[a-z]+)|an? (?<t>clean|hot) (?<obj>[a-z]+)) (?<in>in|on) the (?<rec>[a-z ]+?)\.")]
    private static partial Regex GoalPattern();

    /// <summary>What the expert knows of the house, replayed from tool results.</summary>
    private sealed class Map
    {
        public string? Here { get; private set; }
        public Dictionary<string, string[]> Exits { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, string> RoomOf { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, bool?> IsOpen { get; } = new(StringComparer.Ordinal);
        public Dictionary<string, string> ObjectAt { get; } = new(StringComparer.Ordinal);
        public HashSet<string> Inventory { get; } = new(StringComparer.Ordinal);
        public HashSet<(string, string)> Placed { get; } = [];
        public HashSet<(string, TextWorldTransform)> Transformed { get; } = [];

        public void Apply(JsonElement r)
        {
            if (r.TryGetProperty("room", out var room) && r.TryGetProperty("exits", out var exits))
            {
                Here = room.GetString()!;
                Exits[Here] = [.. exits.EnumerateArray().Select(e => e.GetString()!)];
                foreach (var rec in r.GetProperty("receptacles").EnumerateArray())
                {
                    var name = rec.GetProperty("name").GetString()!;
                    RoomOf[name] = Here;
                    // Null fields may be left out: no "open" means not openable, no "contents" means closed.
                    IsOpen[name] = rec.TryGetProperty("open", out var open) && open.ValueKind is JsonValueKind.True or JsonValueKind.False ? open.GetBoolean() : null;
                    if (rec.TryGetProperty("contents", out var contents) && contents.ValueKind == JsonValueKind.Array) See(name, contents);
                }
                Inventory.Clear();
                foreach (var item in r.GetProperty("inventory").EnumerateArray()) Inventory.Add(item.GetString()!);
            }
            else if (r.TryGetProperty("opened", out var opened))
            {
                IsOpen[opened.GetString()!] = true;
                See(opened.GetString()!, r.GetProperty("contents"));
            }
            else if (r.TryGetProperty("taken", out var taken))
            {
                ObjectAt.Remove(taken.GetString()!);
                Inventory.Add(taken.GetString()!);
            }
            else if (r.TryGetProperty("placed", out var placed))
            {
                ObjectAt[placed.GetString()!] = r.GetProperty("receptacle").GetString()!;
                Inventory.Remove(placed.GetString()!);
                Placed.Add((placed.GetString()!, r.GetProperty("receptacle").GetString()!));
            }
            else if (r.TryGetProperty("cleaned", out var cleaned)) Transformed.Add((cleaned.GetString()!, TextWorldTransform.Clean));
            else if (r.TryGetProperty("heated", out var heated)) Transformed.Add((heated.GetString()!, TextWorldTransform.Heat));
        }

        private void See(string receptacle, JsonElement contents)
        {
            foreach (var stale in ObjectAt.Where(o => o.Value == receptacle).Select(o => o.Key).ToArray()) ObjectAt.Remove(stale);
            foreach (var item in contents.EnumerateArray()) ObjectAt[item.GetString()!] = receptacle;
        }

        /// <summary>The first room on a shortest known path from here to the nearest room matching <paramref name="goal"/>.</summary>
        public string? FirstStep(Func<string, bool> goal)
        {
            var first = new Dictionary<string, string?>(StringComparer.Ordinal) { [Here!] = null };
            var queue = new Queue<string>([Here!]);
            while (queue.Count > 0)
            {
                var room = queue.Dequeue();
                if (room != Here && goal(room)) return first[room];
                if (!Exits.TryGetValue(room, out var exits)) continue;
                foreach (var next in exits)
                {
                    if (first.TryAdd(next, first[room] ?? next)) queue.Enqueue(next);
                }
            }
            return null;
        }
    }
}
