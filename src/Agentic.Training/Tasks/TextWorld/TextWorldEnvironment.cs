using System.ComponentModel;
using Agentic.Core.Agents;
using Microsoft.Extensions.AI;

namespace Agentic.Training.Tasks.TextWorld;

/// <summary>
/// The house of the <c>textworld</c> suite (ALFWorld-like): rooms joined by doors, receptacles (fridge, sink,
/// microwave, coffee machine, cabinet, table, …), portable objects and an inventory. The actions are tools:
/// <c>look</c>, <c>go</c>, <c>take</c>, <c>put</c>, <c>open</c>, <c>clean</c> (needs a sink in the room),
/// <c>heat</c> (needs a microwave in the room) and <c>examine</c>; <c>look</c> (and <c>go</c>, which looks on
/// arrival) lists the admissible actions. Impossible actions leave the world unchanged and answer with an in-band
/// <c>error</c>. The episode ends when the agent replies without a tool call; success means the goal predicate holds
/// in the final state.
/// </summary>
public sealed class TextWorldEnvironment : AgentEnvironment
{
    private readonly IReadOnlyList<AIFunction> _tools;
    private TextWorldState _world = new();
    private TextWorldTask? _task;

    /// <summary>Creates the environment.</summary>
    public TextWorldEnvironment()
    {
        _tools =
        [
            AIFunctionFactory.Create(Look, "look", "Describes the room you are in: doors, receptacles and what is visible in them, your inventory and the admissible actions."),
            AIFunctionFactory.Create(Go, "go", "Walks through a door into an adjacent room and looks around."),
            AIFunctionFactory.Create(Open, "open", "Opens a receptacle in this room (fridge, microwave, cabinet, drawer) and shows what is inside."),
            AIFunctionFactory.Create(Take, "take", "Takes a visible object from a receptacle in this room into your inventory."),
            AIFunctionFactory.Create(Put, "put", "Puts an object from your inventory in or on a receptacle in this room."),
            AIFunctionFactory.Create(Clean, "clean", "Cleans an object you carry at the sink; there must be a sink in this room."),
            AIFunctionFactory.Create(Heat, "heat", "Heats an object you carry with the microwave; there must be a microwave in this room."),
            AIFunctionFactory.Create(Examine, "examine", "Describes an object or a receptacle you can see or carry."),
        ];
    }

    /// <inheritdoc />
    public override IReadOnlyList<AIFunction> Tools => _tools;

    /// <summary>Whether the current task's goal holds in the current state.</summary>
    public bool GoalSatisfied => _task is not null && _world.Satisfies(_task.Goal);

    /// <summary>The current state (for tests).</summary>
    internal TextWorldState World => _world;

    /// <inheritdoc />
    public override ValueTask<IReadOnlyList<ChatMessage>> ResetAsync(AgentTask task, ulong seed, CancellationToken cancellationToken = default)
    {
        _task = task as TextWorldTask ?? throw new ArgumentException($"The textworld environment needs a {nameof(TextWorldTask)}.", nameof(task));
        _world = TextWorldState.Generate(_task.WorldSeed, _task.Rooms, _task.Objects);
        if (!_world.Objects.ContainsKey(_task.Goal.Object) || !_world.Receptacles.ContainsKey(_task.Goal.Receptacle))
        {
            throw new ArgumentException($"Task {task.Id} names an object or receptacle its world does not have.", nameof(task));
        }
        return ValueTask.FromResult<IReadOnlyList<ChatMessage>>(
        [
            new ChatMessage(ChatRole.System, "You are an agent in a house. Act with the tools: look, go, open, take, put, clean, heat, examine. "
                + "Objects inside closed receptacles are hidden until you open them. Reply without a tool call when the task is done."),
            new ChatMessage(ChatRole.User, $"You are in the {_world.Location}. {task.Instruction}"),
        ]);
    }

    /// <inheritdoc />
    public override ValueTask<EnvironmentStep> StepAsync(AgentAction action, CancellationToken cancellationToken = default)
    {
        if (action.Message.Contents.OfType<FunctionCallContent>().Any() || action.ParseErrors.Count > 0)
        {
            return ValueTask.FromResult(EnvironmentStep.Continue);
        }
        return ValueTask.FromResult(Judge());
    }

    /// <inheritdoc />
    public override ValueTask<EnvironmentStep> TruncateAsync(CancellationToken cancellationToken = default) => ValueTask.FromResult(Judge());

    private EnvironmentStep Judge()
    {
        var goal = _task!.Goal;
        var obj = _world.Objects[goal.Object];
        bool placed = obj.Location == goal.Receptacle;
        bool state = TextWorldState.HasState(obj, goal.Transform);
        double success = placed && state ? 1 : 0;
        return new EnvironmentStep([], success, true, new Dictionary<string, double>
        {
            ["success"] = success,
            ["object_placed"] = placed ? 1 : 0,
            ["object_state"] = state ? 1 : 0,
        });
    }

    private static string Normalize(string? name)
    {
        var n = (name ?? "").Trim().ToLowerInvariant();
        foreach (var article in (string[])["the ", "a ", "an "])
        {
            if (n.StartsWith(article, StringComparison.Ordinal)) return n[article.Length..].Trim();
        }
        return n;
    }

    private string[] Carried => [.. _world.Inventory];

    private object Look() => Observe($"You are in the {_world.Location}.");

    private object Observe(string opening)
    {
        var here = _world.Receptacles.Values.Where(r => r.Room == _world.Location).OrderBy(r => r.Name, StringComparer.Ordinal).ToArray();
        var exits = _world.Doors[_world.Location].ToArray();
        var parts = here.Select(r => r.IsOpen
            ? $"a {r.Name}{(r.Openable ? " (open)" : "")} with {Listing(Contents(r.Name))} {r.Preposition} it"
            : $"a {r.Name} (closed)");
        var seen = here.Length == 0 ? "no furniture here" : string.Join("; ", parts);
        var text = $"{opening} Doors lead to the {string.Join(" and the ", exits)}. You see {seen}. You carry {Listing(Carried)}.";
        return new
        {
            text,
            room = _world.Location,
            exits,
            receptacles = here.Select(r => new { name = r.Name, open = r.Openable ? r.IsOpen : (bool?)null, contents = r.IsOpen ? Contents(r.Name) : null }).ToArray(),
            inventory = Carried,
            admissible_actions = Admissible(here, exits),
        };
    }

    private string[] Admissible(TextWorldReceptacle[] here, string[] exits)
    {
        var actions = new List<string> { "look()" };
        actions.AddRange(exits.Select(e => $"go(\"{e}\")"));
        actions.AddRange(here.Where(r => !r.IsOpen).Select(r => $"open(\"{r.Name}\")"));
        actions.AddRange(here.Where(r => r.IsOpen).SelectMany(r => Contents(r.Name)).Select(o => $"take(\"{o}\")"));
        foreach (var carried in _world.Inventory)
        {
            var obj = _world.Objects[carried];
            actions.AddRange(here.Where(r => r.IsOpen && _world.Accepts(r.Name, carried)).Select(r => $"put(\"{carried}\", \"{r.Name}\")"));
            if (obj.Cleanable && here.Any(r => r.Name == TextWorldState.Sink)) actions.Add($"clean(\"{carried}\")");
            if (obj.Heatable && here.Any(r => r.Name == TextWorldState.Microwave)) actions.Add($"heat(\"{carried}\")");
        }
        actions.Add("examine(\"<object or receptacle>\")");
        return [.. actions];
    }

    private string[] Contents(string receptacle) =>
        [.. _world.Objects.Values.Where(o => o.Location == receptacle).Select(o => o.Name).Order(StringComparer.Ordinal)];

    private static string Listing(IReadOnlyList<string> names) => names.Count == 0 ? "nothing" : string.Join(", ", names.Select(n => $"{("aeiou".Contains(n[0], StringComparison.Ordinal) ? "an" : "a")} {n}"));

    [Description("Walks to an adjacent room.")]
    private object Go([Description("The adjacent room, for example \"kitchen\"")] string room)
    {
        var target = Normalize(room);
        if (target == _world.Location) return new { error = $"you are already in the {target}" };
        if (!_world.Doors[_world.Location].Contains(target))
        {
            var known = _world.Rooms.Contains(target) ? $"no door leads from the {_world.Location} to the {target}" : $"there is no room called '{room}'";
            return new { error = $"{known}; doors lead to: {string.Join(", ", _world.Doors[_world.Location])}" };
        }
        _world.Location = target;
        return Observe($"You enter the {target}.");
    }

    private object Open([Description("The receptacle, for example \"fridge\"")] string receptacle)
    {
        var name = Normalize(receptacle);
        if (!_world.Receptacles.TryGetValue(name, out var r) || r.Room != _world.Location) return new { error = $"there is no {name} here" };
        if (!r.Openable) return new { error = $"the {name} cannot be opened" };
        var already = r.IsOpen;
        r.IsOpen = true;
        var contents = Contents(name);
        return new { opened = name, contents, text = $"{(already ? "The " + name + " is already open" : "You open the " + name)}. In it you see {Listing(contents)}." };
    }

    private object Take([Description("The object, for example \"apple\"")] string @object)
    {
        var name = Normalize(@object);
        if (!_world.Objects.TryGetValue(name, out var obj) || !_world.IsReachable(obj)) return new { error = $"you see no {name} here" };
        if (obj.Location is null) return new { error = $"you already carry the {name}" };
        var from = obj.Location;
        obj.Location = null;
        return new { taken = name, from, inventory = Carried, text = $"You take the {name} from the {from}." };
    }

    private object Put([Description("The object you carry")] string @object, [Description("The receptacle in this room, for example \"table\"")] string receptacle)
    {
        var name = Normalize(@object);
        var target = Normalize(receptacle);
        if (!_world.Objects.TryGetValue(name, out var obj) || obj.Location is not null) return new { error = $"you do not carry a {name}" };
        if (!_world.Receptacles.TryGetValue(target, out var r) || r.Room != _world.Location) return new { error = $"there is no {target} here" };
        if (!r.IsOpen) return new { error = $"the {target} is closed" };
        if (!_world.Accepts(target, name)) return new { error = $"the {target} only holds a mug or a cup" };
        obj.Location = target;
        return new { placed = name, receptacle = target, inventory = Carried, text = $"You put the {name} {r.Preposition} the {target}." };
    }

    private object Clean([Description("The object you carry")] string @object) => Transform(@object, TextWorldState.Sink, o => o.Cleanable, o => o.IsClean = true, "clean", "cleaned");

    private object Heat([Description("The object you carry")] string @object) => Transform(@object, TextWorldState.Microwave, o => o.Heatable, o => o.IsHot = true, "heat", "heated");

    private object Transform(string @object, string device, Func<TextWorldObject, bool> allowed, Action<TextWorldObject> apply, string verb, string done)
    {
        var name = Normalize(@object);
        if (!_world.Objects.TryGetValue(name, out var obj) || obj.Location is not null) return new { error = $"you do not carry a {name}" };
        if (!_world.Receptacles.TryGetValue(device, out var d) || d.Room != _world.Location) return new { error = $"there is no {device} in the {_world.Location}" };
        if (!allowed(obj)) return new { error = $"you cannot {verb} the {name}" };
        apply(obj);
        return new Dictionary<string, object> { [done] = name, ["text"] = $"You {verb} the {name} with the {device}." };
    }

    private object Examine([Description("An object or receptacle you can see or carry")] string target)
    {
        var name = Normalize(target);
        if (_world.Objects.TryGetValue(name, out var obj) && _world.IsReachable(obj))
        {
            var state = $"{(obj.IsClean ? "clean" : "dirty")}, {(obj.IsHot ? "hot" : "at room temperature")}";
            var where = obj.Location is null ? "in your inventory" : $"{_world.Receptacles[obj.Location].Preposition} the {obj.Location}";
            return new { name, clean = obj.IsClean, hot = obj.IsHot, text = $"The {name} is {state}, {where}." };
        }
        if (_world.Receptacles.TryGetValue(name, out var r) && r.Room == _world.Location)
        {
            var contents = r.IsOpen ? Contents(name) : null;
            return new { name, open = r.Openable ? r.IsOpen : (bool?)null, contents, text = r.IsOpen ? $"{char.ToUpperInvariant(r.Preposition[0])}{r.Preposition[1..]} the {name} you see {Listing(contents!)}." : $"The {name} is closed." };
        }
        return new { error = $"you see no {name} here" };
    }
}
