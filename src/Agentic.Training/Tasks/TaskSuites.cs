using Agentic.Core.Agents;
using Agentic.Training.Tasks.LongContext;
using Agentic.Training.Tasks.SearchQa;
using Agentic.Training.Tasks.Shop;
using Agentic.Training.Tasks.TextWorld;
using Agentic.Training.Tasks.ToolUse;

namespace Agentic.Training.Tasks;

/// <summary>The built-in task suites by command-line name.</summary>
public static class TaskSuites
{
    private static readonly Dictionary<string, Func<ITaskSuite>> s_factories = new(StringComparer.OrdinalIgnoreCase)
    {
        [ToolUseSuite.Name] = () => new ToolUseSuite(),
        [TextWorldSuite.Name] = () => new TextWorldSuite(),
        [ShopSuite.Name] = () => new ShopSuite(),
        [SearchQaSuite.Name] = () => new SearchQaSuite(),
        [LongContextSuite.Name] = () => new LongContextSuite(),
    };

    /// <summary>The names of the built-in suites.</summary>
    public static IReadOnlyList<string> Names => s_factories.Keys.Order(StringComparer.Ordinal).ToArray();

    /// <summary>Creates the suite named <paramref name="name"/> with default options.</summary>
    /// <exception cref="ArgumentException">No suite has that name.</exception>
    public static ITaskSuite Create(string name) =>
        s_factories.TryGetValue(name, out var factory)
            ? factory()
            : throw new ArgumentException($"Unknown suite '{name}'. Suites: {string.Join(", ", Names)}.", nameof(name));
}
