using System.ComponentModel.DataAnnotations;
using Agentic.Core.Agents;

namespace Agentic.Training.Tasks.TextWorld;

/// <summary>Options of the <c>textworld</c> suite.</summary>
public sealed class TextWorldSuiteOptions
{
    /// <summary>Fewest sub-steps a sampled goal needs (2: take and put in the room the agent starts in).</summary>
    [Range(2, 24)] public int MinDifficulty { get; set; } = 2;

    /// <summary>Most sub-steps a sampled goal needs.</summary>
    [Range(2, 24)] public int MaxDifficulty { get; set; } = 8;

    /// <summary>Rooms per generated house (the kitchen and others).</summary>
    [Range(2, 9)] public int Rooms { get; set; } = 4;

    /// <summary>Portable objects per generated house.</summary>
    [Range(1, 18)] public int Objects { get; set; } = 6;

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
/// The <c>textworld</c> suite (ALFWorld-like): a house of rooms joined by doors, receptacles and objects, and goals
/// such as "put a clean mug in the coffee machine". The actions form a dependency graph (<see cref="ActionGraph"/>:
/// go and open make an object reachable, take needs it reachable, clean/heat and put need it carried); a goal needs
/// a connected chain of sub-steps through it (moves, opens, take, transform, place), and the length of the shortest
/// such chain is the task's difficulty, a sampling parameter. Worlds are generated from seeds; a seed hash separates
/// training from held-out worlds.
/// </summary>
public sealed class TextWorldSuite : ITaskSuite
{
    /// <summary>The suite's command-line name.</summary>
    public const string Name = "textworld";

    private const int MaxWorldsPerTask = 20_000;

    /// <summary>The action dependency graph: each state-changing action and the actions it may need first.</summary>
    public static IReadOnlyDictionary<string, string[]> ActionGraph { get; } = new Dictionary<string, string[]>
    {
        ["go"] = [],
        ["open"] = ["go"],
        ["take"] = ["go", "open"],
        ["clean"] = ["take"],
        ["heat"] = ["take"],
        ["put"] = ["take", "go", "open"],
    };

    private readonly TextWorldSuiteOptions _options;

    /// <summary>Creates the suite.</summary>
    /// <exception cref="ValidationException">An option is out of range.</exception>
    public TextWorldSuite(TextWorldSuiteOptions? options = null)
    {
        _options = options ?? new TextWorldSuiteOptions();
        _options.Validate();
    }

    /// <inheritdoc />
    public string Suite => Name;

    /// <summary>The suite's options.</summary>
    public TextWorldSuiteOptions Options => _options;

    /// <summary>Whether the world generated from <paramref name="worldSeed"/> is held out.</summary>
    public bool IsHeldOut(ulong worldSeed)
    {
        return HeldOutSplit.IsHeldOut(unchecked(worldSeed + 0x9E3779B97F4A7C15UL), _options.HeldOutFraction);
    }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">No world of the configured size has goals of a sampled difficulty.</exception>
    public IReadOnlyList<AgentTask> SampleTraining(Random random, int count) => Sample(random, count, heldOut: false);

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">No world of the configured size has goals of a sampled difficulty.</exception>
    public IReadOnlyList<AgentTask> HeldOut(int count) => Sample(new Agentic.Core.Randomness.DeterministicRandom(0x5EED_7E87UL), count, heldOut: true);

    private IReadOnlyList<AgentTask> Sample(Random random, int count, bool heldOut) =>
        SeededTaskSampler.Sample(random, count, heldOut, _options.MinDifficulty, _options.MaxDifficulty, MaxWorldsPerTask, IsHeldOut, TryCreate,
            difficulty => $"No world of {_options.Rooms} rooms and {_options.Objects} objects has a goal of difficulty {difficulty}.");

    /// <summary>
    /// Creates a task of exactly <paramref name="difficulty"/> sub-steps in the world of <paramref name="worldSeed"/>,
    /// choosing among the fitting goals with <paramref name="random"/>; null when the world has none.
    /// </summary>
    public TextWorldTask? TryCreate(ulong worldSeed, int difficulty, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var world = TextWorldState.Generate(worldSeed, _options.Rooms, _options.Objects);
        var goals = world.Goals().Where(g => world.Plan(g).Count == difficulty).ToArray();
        if (goals.Length == 0) return null;
        var goal = goals[random.Next(goals.Length)];
        var receptacle = world.Receptacles[goal.Receptacle];
        var what = goal.Transform switch
        {
            TextWorldTransform.Clean => $"a clean {goal.Object}",
            TextWorldTransform.Heat => $"a hot {goal.Object}",
            _ => $"the {goal.Object}",
        };
        var instruction = $"Your task is to: put {what} {receptacle.Preposition} the {goal.Receptacle}.";
        var id = $"{Name}-{worldSeed:x}-{goal.Object}-{goal.Transform.ToString().ToLowerInvariant()}-{goal.Receptacle.Replace(' ', '_')}";
        return new TextWorldTask(id, instruction, difficulty, worldSeed, _options.Rooms, _options.Objects, goal);
    }

    /// <summary>Creates a fresh environment for this suite (one per concurrent episode).</summary>
    public TextWorldEnvironment CreateEnvironment() => new();

    AgentEnvironment ITaskSuite.CreateEnvironment() => CreateEnvironment();

    /// <inheritdoc />
    public Microsoft.Extensions.AI.IChatClient CreateExpert() => new TextWorldExpert();
}
