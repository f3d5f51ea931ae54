using Agentic.Core.ChatCompletion;
using System.Text.RegularExpressions;
using Agentic.Training.Tasks.ExpertSupport;
using Microsoft.Extensions.AI;

namespace Agentic.Training.Tasks.TextWorld;

/// <summary>
/// A scripted expert for the <c>textworld</c> suite, as an <see cref="IChatClient"/>. It sees only what the agent
/// sees: it reads the goal from the user's message, builds a map from the tool results so far (rooms and doors,
/// receptacles, what is in them, what it carries), and answers with the next action: explore (open closed
/// receptacles, then walk to the nearest unvisited room) until the object is found, take it, walk to the sink or
/// microwave, transform it, walk to the target, open it, put the object, and reply. It solves every task of the suite.
/// Under tool noise it stays robust the way a careful agent would: where it is and what it carries, opened, placed and
/// transformed follow from its own calls that ran (failed calls are retried); what it saw counts only when two readings
/// agree, so it looks once more with each step into a room it does not know yet and each open (two readings in one
/// turn), and looks again when readings disagree. Fields are found under drifted names and extra fields are ignored.
/// </summary>
public sealed partial class TextWorldExpert : ScriptedChatClient
{
    private static readonly Dictionary<string, string[]> SuccessFields = new(StringComparer.Ordinal)
    {
        ["look"] = ["text", "room", "exits", "receptacles", "inventory", "admissible_actions"],
        ["go"] = ["text", "room", "exits", "receptacles", "inventory", "admissible_actions"],
        ["open"] = ["opened", "contents", "text"],
        ["take"] = ["taken", "from", "inventory", "text"],
        ["put"] = ["placed", "receptacle", "inventory", "text"],
        ["clean"] = ["cleaned", "text"],
        ["heat"] = ["heated", "text"],
        ["examine"] = ["name", "clean", "hot", "open", "contents", "text"],
    };

    private readonly ExpertReply _reply = new();

    /// <inheritdoc />
    protected override ChatMessage Respond(IReadOnlyList<ChatMessage> messages, ChatOptions? options) => Next([.. messages]);

    private ChatMessage Next(List<ChatMessage> messages)
    {
        var request = messages.LastOrDefault(m => m.Role == ChatRole.User)?.Text ?? "";
        var m = GoalPattern().Match(request);
        var start = StartPattern().Match(request);
        if (!m.Success || !start.Success) return ExpertReply.Say("What should I do? Please name the object and where it should go.");
        var obj = m.Groups["obj"].Value;
        var receptacle = m.Groups["rec"].Value;
        var transform = m.Groups["t"].Value switch { "clean" => TextWorldTransform.Clean, "hot" => TextWorldTransform.Heat, _ => TextWorldTransform.None };
        bool transformed(Map map) => transform == TextWorldTransform.None || map.Transformed.Contains((obj, transform));

        var map = new Map(start.Groups["room"].Value);
        foreach (var exchange in ToolTranscript.Read(messages, SuccessFields)) map.Apply(exchange);
        if (!map.Knows(map.Here)) return _reply.Call("look", Consensus.Needed(map.ExitReadings(map.Here)));

        if (map.Placed.Contains((obj, receptacle)) && transformed(map))
        {
            return ExpertReply.Say($"Done: {(transform == TextWorldTransform.None ? "the" : transform == TextWorldTransform.Clean ? "a clean" : "a hot")} {obj} is {m.Groups["in"].Value} the {receptacle}.");
        }
        if (!map.Carrying.Contains(obj))
        {
            if (map.Holding(obj) is { } container)
            {
                var room = map.RoomOf(container)!;
                return room != map.Here ? Walk(map, room) ?? ExpertReply.Say($"I cannot reach the {room}.") : _reply.Call("take", ("object", obj));
            }
            // Search this room: open what is closed, and look again where two readings of the contents disagree.
            var unsearched = map.Receptacles(map.Here).Where(r => map.Contents(r) is null).ToArray();
            if (unsearched.FirstOrDefault(r => map.Openable(r) && !map.Opened.Contains(r)) is { } closed) return OpenAndLook(closed);
            if (unsearched.Length > 0) return _reply.Call("look");
            return Explore(map) ?? ExpertReply.Say($"I searched the whole house and found no {obj}.");
        }
        if (!transformed(map))
        {
            var device = transform == TextWorldTransform.Clean ? TextWorldState.Sink : TextWorldState.Microwave;
            if (map.RoomOf(device) is not { } deviceRoom) return Explore(map) ?? ExpertReply.Say($"There is no {device} in this house.");
            if (deviceRoom != map.Here) return Walk(map, deviceRoom) ?? ExpertReply.Say($"I cannot reach the {deviceRoom}.");
            return _reply.Call(transform == TextWorldTransform.Clean ? "clean" : "heat", ("object", obj));
        }
        if (map.RoomOf(receptacle) is not { } targetRoom) return Explore(map) ?? ExpertReply.Say($"There is no {receptacle} in this house.");
        if (targetRoom != map.Here) return Walk(map, targetRoom) ?? ExpertReply.Say($"I cannot reach the {targetRoom}.");
        if (map.Openable(receptacle) && !map.Opened.Contains(receptacle) && map.IsOpen(receptacle) != true) return _reply.Call("open", ("receptacle", receptacle));
        return _reply.Call("put", ("object", obj), ("receptacle", receptacle));
    }

    /// <summary>Opens a receptacle and looks, so its contents are read twice in one turn.</summary>
    private ChatMessage OpenAndLook(string receptacle) =>
        _reply.Calls(("open", ExpertReply.Arguments(("receptacle", receptacle))), ("look", ExpertReply.Arguments()));

    /// <summary>The next step towards <paramref name="room"/> through rooms already known.</summary>
    private ChatMessage? Walk(Map map, string room) => Step(map, map.FirstStep(r => r == room));

    /// <summary>The next step towards the nearest room not known yet.</summary>
    private ChatMessage? Explore(Map map) => Step(map, map.FirstStep(r => !map.Knows(r)));

    /// <summary>Goes to <paramref name="next"/>; into a room not known yet, also looks, so it is read twice in one turn.</summary>
    private ChatMessage? Step(Map map, string? next) => next is null ? null
        : map.Knows(next) ? _reply.Call("go", ("room", next))
        : _reply.Calls(("go", ExpertReply.Arguments(("room", next))), ("look", ExpertReply.Arguments()));

    [GeneratedRegex(@"put (?:the (?<obj>[a-z]+)|an? (?<t>clean|hot) (?<obj>[a-z]+)) (?<in>in|on) the (?<rec>[a-z ]+?)\.")]
    private static partial Regex GoalPattern();

    [GeneratedRegex(@"You are in the (?<room>[a-z ]+?)\. ")]
    private static partial Regex StartPattern();

    /// <summary>
    /// What the expert knows of the house, replayed from the calls so far. Where it is, what it carries, what it opened,
    /// placed and transformed follow from its own calls that ran (a call's arguments are the truth, its result only says
    /// whether it ran). What it saw (doors, receptacles, contents) counts only when two readings agree.
    /// </summary>
    private sealed class Map(string start)
    {
        private readonly Dictionary<string, List<string[]>> _exits = new(StringComparer.Ordinal);
        private readonly Dictionary<string, List<string[]>> _layouts = new(StringComparer.Ordinal);
        private readonly Dictionary<string, List<string[]>> _contents = new(StringComparer.Ordinal);
        private readonly Dictionary<string, List<bool>> _open = new(StringComparer.Ordinal);
        private readonly HashSet<(string, string)> _badDoors = [];

        public string Here { get; private set; } = start;
        public HashSet<string> Carrying { get; } = new(StringComparer.Ordinal);
        public HashSet<string> Opened { get; } = new(StringComparer.Ordinal);
        public HashSet<(string, string)> Placed { get; } = [];
        public HashSet<(string, TextWorldTransform)> Transformed { get; } = [];

        public void Apply(ToolExchange call)
        {
            if (call.Outcome == ToolOutcome.Failed) return; // It did not run: nothing changed.
            bool ran = call.Succeeded;
            switch (call.Tool)
            {
                case "go" when ran:
                    Here = call.Argument("room")!.Trim();
                    Observe(call.Json);
                    break;
                case "go":
                    _badDoors.Add((Here, call.Argument("room")!.Trim()));
                    break;
                case "look" when ran:
                    Observe(call.Json);
                    break;
                case "open" when ran:
                    var opened = call.Argument("receptacle")!.Trim();
                    Opened.Add(opened);
                    if (RobustJson.GetStringSet(call.Json, "contents") is { } contents) Add(_contents, opened, contents);
                    break;
                case "take" when ran:
                    Carrying.Add(call.Argument("object")!.Trim());
                    break;
                case "put" when ran:
                    Carrying.Remove(call.Argument("object")!.Trim());
                    Placed.Add((call.Argument("object")!.Trim(), call.Argument("receptacle")!.Trim()));
                    break;
                case "clean" when ran:
                    Transformed.Add((call.Argument("object")!.Trim(), TextWorldTransform.Clean));
                    break;
                case "heat" when ran:
                    Transformed.Add((call.Argument("object")!.Trim(), TextWorldTransform.Heat));
                    break;
            }
        }

        /// <summary>Records one reading of this room: its doors, its receptacles, and what is visible in each (once per receptacle).</summary>
        private void Observe(System.Text.Json.Nodes.JsonNode? json)
        {
            if (RobustJson.GetStringSet(json, "exits") is { } exits) Add(_exits, Here, exits);
            if (RobustJson.GetArray(json, "receptacles") is not { } receptacles) return;
            var layout = new SortedSet<string>(StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var entry in receptacles)
            {
                if (RobustJson.GetString(entry, "name") is not { } name) return;
                var open = RobustJson.GetBool(entry, "open");
                layout.Add(open is null ? name : name + "*"); // A star marks a receptacle that opens and closes.
                if (!seen.Add(name)) continue; // A duplicated entry is one reading.
                if (open is { } isOpen) Add(_open, name, isOpen);
                if (RobustJson.GetStringSet(entry, "contents") is { } contents) Add(_contents, name, contents);
            }
            Add(_layouts, Here, [.. layout]);
        }

        private static void Add<T>(Dictionary<string, List<T>> readings, string key, T value)
        {
            if (!readings.TryGetValue(key, out var list)) readings[key] = list = [];
            list.Add(value);
        }

        private static T? Agreed<T>(Dictionary<string, List<T>> readings, string key, IEqualityComparer<T>? comparer = null) where T : class =>
            readings.TryGetValue(key, out var list) && Consensus.TryAgree(list, out var value, comparer) ? value : null;

        public IReadOnlyList<string[]> ExitReadings(string room) => _exits.TryGetValue(room, out var list) ? list : [];

        /// <summary>Whether the doors and the receptacles of <paramref name="room"/> are known.</summary>
        public bool Knows(string room) => Exits(room) is not null && Layout(room) is not null;

        private string[]? Exits(string room) => Agreed(_exits, room, Sequence.Instance);

        private string[]? Layout(string room) => Agreed(_layouts, room, Sequence.Instance);

        /// <summary>The receptacles of a known room.</summary>
        public IEnumerable<string> Receptacles(string room) => (Layout(room) ?? []).Select(r => r.TrimEnd('*'));

        public bool Openable(string receptacle) => _layouts.Keys.Any(room => Layout(room)?.Contains(receptacle + "*") == true);

        public bool? IsOpen(string receptacle) => _open.TryGetValue(receptacle, out var list) && Consensus.TryAgree(list, out var open) ? open : null;

        /// <summary>The agreed contents of a receptacle, or null.</summary>
        public string[]? Contents(string receptacle) => Agreed(_contents, receptacle, Sequence.Instance);

        /// <summary>The receptacle the object was seen in (two agreeing readings), or null.</summary>
        public string? Holding(string obj) => _contents.Keys.FirstOrDefault(r => RoomOf(r) is not null && Contents(r)?.Contains(obj) == true);

        /// <summary>The known room of a receptacle, or null.</summary>
        public string? RoomOf(string receptacle) => _layouts.Keys.FirstOrDefault(room => Receptacles(room).Contains(receptacle));

        /// <summary>The first room on a shortest known path from here to the nearest room matching <paramref name="goal"/>.</summary>
        public string? FirstStep(Func<string, bool> goal)
        {
            var first = new Dictionary<string, string?>(StringComparer.Ordinal) { [Here] = null };
            var queue = new Queue<string>([Here]);
            while (queue.Count > 0)
            {
                var room = queue.Dequeue();
                if (room != Here && goal(room)) return first[room];
                if (Exits(room) is not { } exits) continue;
                foreach (var next in exits)
                {
                    if (!_badDoors.Contains((room, next)) && first.TryAdd(next, first[room] ?? next)) queue.Enqueue(next);
                }
            }
            return null;
        }
    }

    /// <summary>Compares arrays element by element.</summary>
    private sealed class Sequence : IEqualityComparer<string[]>
    {
        public static readonly Sequence Instance = new();

        public bool Equals(string[]? x, string[]? y) => x is not null && y is not null && x.SequenceEqual(y, StringComparer.Ordinal);

        public int GetHashCode(string[] obj) => obj.Length;
    }
}
