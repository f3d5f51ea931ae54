using Agentic.Core.Randomness;

namespace Agentic.Training.Tasks.TextWorld;

/// <summary>A receptacle: furniture or an appliance that holds objects; some must be opened first.</summary>
internal sealed class TextWorldReceptacle(string name, string room, bool openable, bool surface)
{
    public string Name { get; } = name;
    public string Room { get; } = room;
    public bool Openable { get; } = openable;

    /// <summary>Objects go "on" a surface and "in" anything else.</summary>
    public string Preposition { get; } = surface ? "on" : "in";

    public bool IsOpen { get; set; } = !openable;
}

/// <summary>A portable object, where it is (a receptacle, or null when carried) and its state.</summary>
internal sealed class TextWorldObject(string name, bool cleanable, bool heatable, string? location)
{
    public string Name { get; } = name;
    public bool Cleanable { get; } = cleanable;
    public bool Heatable { get; } = heatable;
    public string? Location { get; set; } = location;
    public bool IsClean { get; set; }
    public bool IsHot { get; set; }
}

/// <summary>One state-changing action of a plan.</summary>
internal sealed record TextWorldStep(string Tool, params string[] Arguments);

/// <summary>
/// The state of a text world, generated from a seed: rooms joined by doors (a random tree), receptacles placed in
/// plausible rooms, objects in receptacles, the agent's room and inventory. <see cref="Plan"/> gives the shortest plan
/// of a goal, whose length is the task's difficulty.
/// </summary>
internal sealed class TextWorldState
{
    public const string Sink = "sink";
    public const string Microwave = "microwave";
    public const string CoffeeMachine = "coffee machine";

    private static readonly string[] OtherRooms = ["living room", "bathroom", "bedroom", "dining room", "pantry", "study", "hallway", "laundry room"];

    private static readonly (string Name, bool Openable, bool Surface, bool Always, string[] Rooms)[] ReceptacleKinds =
    [
        ("fridge", true, false, true, ["kitchen", "pantry"]),
        (Microwave, true, false, true, ["kitchen"]),
        (Sink, false, false, true, ["kitchen", "bathroom", "laundry room"]),
        (CoffeeMachine, false, false, true, ["kitchen", "dining room"]),
        ("table", false, true, true, ["dining room", "living room", "kitchen"]),
        ("countertop", false, true, false, ["kitchen"]),
        ("cabinet", true, false, false, ["kitchen", "bathroom", "pantry"]),
        ("shelf", false, true, false, ["living room", "study", "pantry"]),
        ("drawer", true, false, false, ["bedroom", "study"]),
        ("desk", false, true, false, ["study", "bedroom"]),
        ("dresser", false, true, false, ["bedroom"]),
        ("sofa", false, true, false, ["living room"]),
        ("basket", false, false, false, ["laundry room", "bathroom", "hallway"]),
    ];

    private static readonly (string Name, bool Cleanable, bool Heatable)[] ObjectKinds =
    [
        ("mug", true, true), ("cup", true, true), ("plate", true, true), ("bowl", true, false), ("pan", true, false),
        ("apple", true, true), ("potato", true, true), ("tomato", true, true), ("egg", false, true), ("bread", false, true),
        ("lettuce", true, false), ("knife", true, false), ("spoon", true, false), ("book", false, false),
        ("pen", false, false), ("towel", false, false), ("remote", false, false), ("candle", false, false),
    ];

    /// <summary>Rooms in generation order (the kitchen first).</summary>
    public List<string> Rooms { get; } = [];

    /// <summary>The rooms each room has a door to, sorted.</summary>
    public Dictionary<string, List<string>> Doors { get; } = new(StringComparer.Ordinal);

    /// <summary>Receptacles by name.</summary>
    public Dictionary<string, TextWorldReceptacle> Receptacles { get; } = new(StringComparer.Ordinal);

    /// <summary>Objects by name.</summary>
    public Dictionary<string, TextWorldObject> Objects { get; } = new(StringComparer.Ordinal);

    /// <summary>The room the agent is in.</summary>
    public string Location { get; set; } = "kitchen";

    /// <summary>Objects the agent carries (their <see cref="TextWorldObject.Location"/> is null).</summary>
    public IEnumerable<string> Inventory => Objects.Values.Where(o => o.Location is null).Select(o => o.Name).Order(StringComparer.Ordinal);

    /// <summary>Generates the world of <paramref name="seed"/>.</summary>
    public static TextWorldState Generate(ulong seed, int rooms, int objects)
    {
        var random = new DeterministicRandom(seed);
        var world = new TextWorldState();
        var others = OtherRooms.ToArray();
        random.Shuffle(others);
        world.Rooms.Add("kitchen");
        world.Rooms.AddRange(others.Take(Math.Min(rooms, OtherRooms.Length + 1) - 1));
        foreach (var room in world.Rooms) world.Doors[room] = [];
        var order = world.Rooms.ToArray();
        random.Shuffle(order);
        for (int i = 1; i < order.Length; i++)
        {
            var other = order[random.Next(i)];
            world.Doors[order[i]].Add(other);
            world.Doors[other].Add(order[i]);
        }
        foreach (var doors in world.Doors.Values) doors.Sort(StringComparer.Ordinal);

        foreach (var kind in ReceptacleKinds)
        {
            if (!kind.Always && random.NextDouble() < 0.3) continue;
            var allowed = kind.Rooms.Where(world.Rooms.Contains).ToArray();
            var room = allowed.Length > 0 ? allowed[random.Next(allowed.Length)] : world.Rooms[random.Next(world.Rooms.Count)];
            var receptacle = new TextWorldReceptacle(kind.Name, room, kind.Openable, kind.Surface);
            if (kind.Openable && random.NextDouble() < 0.25) receptacle.IsOpen = true;
            world.Receptacles[kind.Name] = receptacle;
        }

        var kinds = ObjectKinds.ToArray();
        random.Shuffle(kinds);
        foreach (var kind in kinds.Take(Math.Min(objects, kinds.Length)))
        {
            var places = world.Receptacles.Values.Where(r => world.Accepts(r.Name, kind.Name)).OrderBy(r => r.Name, StringComparer.Ordinal).ToArray();
            world.Objects[kind.Name] = new TextWorldObject(kind.Name, kind.Cleanable, kind.Heatable, places[random.Next(places.Length)].Name);
        }
        world.Location = world.Rooms[random.Next(world.Rooms.Count)];
        return world;
    }

    /// <summary>Whether <paramref name="receptacle"/> can hold <paramref name="obj"/> (a coffee machine holds only a mug or a cup).</summary>
    public bool Accepts(string receptacle, string obj) => receptacle != CoffeeMachine || obj is "mug" or "cup";

    /// <summary>Whether an object can be seen (and taken) from the agent's room: in an open receptacle here, or carried.</summary>
    public bool IsReachable(TextWorldObject obj) =>
        obj.Location is null || (Receptacles[obj.Location].Room == Location && Receptacles[obj.Location].IsOpen);

    /// <summary>Whether the goal holds: the object is in the receptacle, in the required state.</summary>
    public bool Satisfies(TextWorldGoal goal) =>
        Objects.TryGetValue(goal.Object, out var obj) && obj.Location == goal.Receptacle && HasState(obj, goal.Transform);

    /// <summary>Whether the object has the state a transform gives.</summary>
    public static bool HasState(TextWorldObject obj, TextWorldTransform transform) => transform switch
    {
        TextWorldTransform.Clean => obj.IsClean,
        TextWorldTransform.Heat => obj.IsHot,
        _ => true,
    };

    /// <summary>Goals that make sense in this world (not already true, devices present, receptacle accepts the object).</summary>
    public IEnumerable<TextWorldGoal> Goals()
    {
        foreach (var obj in Objects.Values.OrderBy(o => o.Name, StringComparer.Ordinal))
        {
            foreach (var transform in Enum.GetValues<TextWorldTransform>())
            {
                if (transform == TextWorldTransform.Clean && !obj.Cleanable) continue;
                if (transform == TextWorldTransform.Heat && !obj.Heatable) continue;
                foreach (var target in Receptacles.Keys.Order(StringComparer.Ordinal))
                {
                    if (target is Sink or Microwave || !Accepts(target, obj.Name)) continue;
                    var goal = new TextWorldGoal(obj.Name, transform, target);
                    if (!Satisfies(goal)) yield return goal;
                }
            }
        }
    }

    /// <summary>
    /// The shortest plan reaching <paramref name="goal"/> from this state: walk to the object, open its receptacle if
    /// closed, take it, walk to the sink or microwave and transform it, walk to the target, open it if closed, put it.
    /// </summary>
    public IReadOnlyList<TextWorldStep> Plan(TextWorldGoal goal)
    {
        var steps = new List<TextWorldStep>();
        var obj = Objects[goal.Object];
        var opened = new HashSet<string>(Receptacles.Values.Where(r => r.IsOpen).Select(r => r.Name), StringComparer.Ordinal);
        string here = Location;
        void WalkTo(string room)
        {
            foreach (var next in Path(here, room)) steps.Add(new TextWorldStep("go", next));
            here = room;
        }
        void Open(string receptacle)
        {
            if (opened.Add(receptacle)) steps.Add(new TextWorldStep("open", receptacle));
        }

        if (obj.Location is { } container)
        {
            WalkTo(Receptacles[container].Room);
            Open(container);
            steps.Add(new TextWorldStep("take", obj.Name));
        }
        if (goal.Transform != TextWorldTransform.None && !HasState(obj, goal.Transform))
        {
            bool clean = goal.Transform == TextWorldTransform.Clean;
            WalkTo(Receptacles[clean ? Sink : Microwave].Room);
            steps.Add(new TextWorldStep(clean ? "clean" : "heat", obj.Name));
        }
        WalkTo(Receptacles[goal.Receptacle].Room);
        Open(goal.Receptacle);
        steps.Add(new TextWorldStep("put", obj.Name, goal.Receptacle));
        return steps;
    }

    /// <summary>The rooms to walk through from <paramref name="from"/> to <paramref name="to"/> (excluding the start).</summary>
    public IReadOnlyList<string> Path(string from, string to)
    {
        var previous = new Dictionary<string, string>(StringComparer.Ordinal) { [from] = from };
        var queue = new Queue<string>([from]);
        while (queue.Count > 0 && !previous.ContainsKey(to))
        {
            var room = queue.Dequeue();
            foreach (var next in Doors[room])
            {
                if (previous.TryAdd(next, room)) queue.Enqueue(next);
            }
        }
        var path = new List<string>();
        for (var room = to; room != from; room = previous[room]) path.Add(room);
        path.Reverse();
        return path;
    }
}
