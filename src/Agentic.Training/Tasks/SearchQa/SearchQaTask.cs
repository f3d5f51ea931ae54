namespace Agentic.Training.Tasks.SearchQa;

/// <summary>The question kinds of the search-QA suite; the number of hops is the difficulty.</summary>
public enum SearchQaQuestion
{
    /// <summary>"Where was P born?" (1 hop).</summary>
    BirthCity,

    /// <summary>"Where is C headquartered?" (1 hop).</summary>
    HeadquartersCity,

    /// <summary>"In which country was P born?" (2 hops).</summary>
    BirthCountry,

    /// <summary>"Where was the founder of C born?" (2 hops).</summary>
    FounderBirthCity,

    /// <summary>"In which country was the founder of C born?" (3 hops).</summary>
    FounderBirthCountry,
}

/// <summary>A task of the <c>searchqa</c> suite.</summary>
/// <param name="Id">Stable id.</param>
/// <param name="Instruction">The question.</param>
/// <param name="Difficulty">Number of retrieval hops.</param>
/// <param name="WorldSeed">Seed of the world (corpus) the question is about.</param>
/// <param name="Question">The question kind.</param>
/// <param name="Subject">The person or company asked about.</param>
/// <param name="Answer">The gold answer.</param>
public sealed record SearchQaTask(string Id, string Instruction, int Difficulty, ulong WorldSeed, SearchQaQuestion Question, string Subject, string Answer)
    : Agentic.Core.Agents.AgentTask(Id, SearchQaSuite.Name, Instruction, Difficulty);
