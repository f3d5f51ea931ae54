using System.ComponentModel.DataAnnotations;
using Agentic.Core.Agents;
using Agentic.Core.Randomness;

namespace Agentic.Training.Tasks.SearchQa;

/// <summary>Options of the <c>searchqa</c> suite.</summary>
public sealed class SearchQaSuiteOptions
{
    /// <summary>Fewest retrieval hops of a sampled question.</summary>
    [Range(1, 3)] public int MinHops { get; set; } = 1;

    /// <summary>Most retrieval hops of a sampled question.</summary>
    [Range(1, 3)] public int MaxHops { get; set; } = 3;

    /// <summary>Documents returned per search (AutoRefine uses the top 3).</summary>
    [Range(1, 20)] public int TopK { get; set; } = 3;

    /// <summary>Share of worlds (by seed hash) reserved for the held-out split.</summary>
    [Range(0.01, 0.5)] public double HeldOutFraction { get; set; } = 0.2;

    /// <summary>Throws <see cref="ValidationException"/> when an option is out of range.</summary>
    public void Validate()
    {
        Validator.ValidateObject(this, new ValidationContext(this), validateAllProperties: true);
        if (MinHops > MaxHops) throw new ValidationException("MinHops must not exceed MaxHops.");
    }
}

/// <summary>
/// The <c>searchqa</c> suite in the AutoRefine format: multi-hop questions over a generated corpus of facts about
/// invented entities, indexed with Lucene.Net (BM25). The agent searches with <c>&lt;search&gt;</c>, receives
/// <c>&lt;documents&gt;</c>, distils evidence in <c>&lt;refine&gt;</c> and answers in <c>&lt;answer&gt;</c>. The
/// number of hops is the difficulty.
/// </summary>
public sealed class SearchQaSuite : ITaskSuite
{
    /// <summary>The suite's command-line name.</summary>
    public const string Name = "searchqa";

    private readonly SearchQaSuiteOptions _options;

    /// <summary>Creates the suite.</summary>
    public SearchQaSuite(SearchQaSuiteOptions? options = null)
    {
        _options = options ?? new SearchQaSuiteOptions();
        _options.Validate();
    }

    /// <inheritdoc />
    public string Suite => Name;

    /// <summary>The suite's options.</summary>
    public SearchQaSuiteOptions Options => _options;

    /// <summary>Number of hops of each question kind.</summary>
    public static int Hops(SearchQaQuestion question) => question switch
    {
        SearchQaQuestion.BirthCity or SearchQaQuestion.HeadquartersCity => 1,
        SearchQaQuestion.BirthCountry or SearchQaQuestion.FounderBirthCity => 2,
        _ => 3,
    };

    /// <summary>Whether the world of <paramref name="worldSeed"/> is held out.</summary>
    public bool IsHeldOut(ulong worldSeed)
    {
        return HeldOutSplit.IsHeldOut(unchecked(worldSeed * 0xD1B54A32D192ED03UL + 0x8CB92BA72F3D8DD7UL), _options.HeldOutFraction);
    }

    /// <inheritdoc />
    public IReadOnlyList<AgentTask> SampleTraining(Random random, int count) => Sample(random, count, heldOut: false);

    /// <inheritdoc />
    public IReadOnlyList<AgentTask> HeldOut(int count) => Sample(new DeterministicRandom(0x5EA2C4UL), count, heldOut: true);

    private List<AgentTask> Sample(Random random, int count, bool heldOut)
    {
        ArgumentNullException.ThrowIfNull(random);
        var tasks = new List<AgentTask>(count);
        var kinds = Enum.GetValues<SearchQaQuestion>().Where(q => Hops(q) >= _options.MinHops && Hops(q) <= _options.MaxHops).ToArray();
        while (tasks.Count < count)
        {
            // A few worlds, several questions each: indexes are reused across episodes of the same world.
            ulong seed = (ulong)random.Next(1, 1 << 16);
            if (IsHeldOut(seed) != heldOut) continue;
            var world = SearchQaWorld.Generate(seed);
            var kind = kinds[random.Next(kinds.Length)];
            var people = world.BornIn.Keys.Order(StringComparer.Ordinal).ToArray();
            var companies = world.FounderOf.Keys.Order(StringComparer.Ordinal).ToArray();
            string person = people[random.Next(people.Length)], company = companies[random.Next(companies.Length)];
            var (subject, question, answer) = kind switch
            {
                SearchQaQuestion.BirthCity => (person, $"Where was {person} born?", world.BornIn[person]),
                SearchQaQuestion.HeadquartersCity => (company, $"Where is {company} headquartered?", world.HeadquartersOf[company]),
                SearchQaQuestion.BirthCountry => (person, $"In which country was {person} born?", world.CountryOf[world.BornIn[person]]),
                SearchQaQuestion.FounderBirthCity => (company, $"Where was the founder of {company} born?", world.BornIn[world.FounderOf[company]]),
                _ => (company, $"In which country was the founder of {company} born?", world.CountryOf[world.BornIn[world.FounderOf[company]]]),
            };
            tasks.Add(new SearchQaTask($"{Name}-{seed}-{tasks.Count}", question, Hops(kind), seed, kind, subject, answer));
        }
        return tasks;
    }

    /// <summary>Creates an environment for this suite (one per concurrent episode).</summary>
    public SearchQaEnvironment CreateEnvironment() => new(_options.TopK);

    AgentEnvironment ITaskSuite.CreateEnvironment() => CreateEnvironment();

    /// <inheritdoc />
    public Microsoft.Extensions.AI.IChatClient CreateExpert() => new SearchQaExpert();
}
