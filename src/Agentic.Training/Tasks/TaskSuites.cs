using Agentic.Core.Agents;
using Agentic.Training.Tasks.LongContext;
using Agentic.Training.Tasks.SearchQa;
using Agentic.Training.Tasks.Shop;
using Agentic.Training.Tasks.TextWorld;
using Agentic.Training.Tasks.ToolUse;

namespace Agentic.Training.Tasks;

/// <summary>Size presets of the built-in suites (each suite's options give finer control).</summary>
public enum SuiteScale
{
    /// <summary>The suites' default options: the full range of difficulties.</summary>
    Standard,

    /// <summary>
    /// The easy end of every suite (short goals, small worlds, one-hop questions): episodes a few hundred byte tokens
    /// long, so a small policy can be trained on them with reinforcement learning on a CPU in minutes.
    /// </summary>
    Small,
}

/// <summary>The built-in task suites by command-line name.</summary>
public static class TaskSuites
{
    private static readonly Dictionary<string, Func<SuiteScale, ITaskSuite>> s_factories = new(StringComparer.OrdinalIgnoreCase)
    {
        [ToolUseSuite.Name] = scale => new ToolUseSuite(scale == SuiteScale.Small
            ? new ToolUseSuiteOptions { MinDifficulty = 1, MaxDifficulty = 2, Customers = 4 }
            : null),
        [TextWorldSuite.Name] = scale => new TextWorldSuite(scale == SuiteScale.Small
            ? new TextWorldSuiteOptions { MinDifficulty = 2, MaxDifficulty = 3, Rooms = 2, Objects = 3 }
            : null),
        [ShopSuite.Name] = scale => new ShopSuite(scale == SuiteScale.Small
            ? new ShopSuiteOptions { MinDifficulty = 1, MaxDifficulty = 2, Products = 20 }
            : null),
        [SearchQaSuite.Name] = scale => new SearchQaSuite(scale == SuiteScale.Small
            ? new SearchQaSuiteOptions { MinHops = 1, MaxHops = 1, TopK = 2 }
            : null),
        [LongContextSuite.Name] = scale => new LongContextSuite(scale == SuiteScale.Small
            ? new LongContextSuiteOptions { Chunks = 2, ChunkCharacters = 200, DistractorNeedles = 1, TrackingHops = 2 }
            : null),
    };

    /// <summary>The names of the built-in suites.</summary>
    public static IReadOnlyList<string> Names => s_factories.Keys.Order(StringComparer.Ordinal).ToArray();

    /// <summary>Creates the suite named <paramref name="name"/> at the given scale.</summary>
    /// <param name="name">A suite name (see <see cref="Names"/>).</param>
    /// <param name="scale">The size preset.</param>
    /// <exception cref="ArgumentException">No suite has that name.</exception>
    public static ITaskSuite Create(string name, SuiteScale scale = SuiteScale.Standard) =>
        s_factories.TryGetValue(name, out var factory)
            ? factory(scale)
            : throw new ArgumentException($"Unknown suite '{name}'. Suites: {string.Join(", ", Names)}.", nameof(name));
}
