using System.Text.RegularExpressions;

namespace Agentic.Training.Tasks.LongContext;

/// <summary>The RULER-style question kinds of the long-context suite.</summary>
public enum LongContextQuestion
{
    /// <summary>One needle ("The special code for K is V.") among distractor text: retrieve V.</summary>
    SingleNeedle,

    /// <summary>Several needles with different keys: retrieve the value of the asked key only.</summary>
    MultiKey,

    /// <summary>Variable tracking across the text (X = v; later Y = X; later Z = Y): multi-hop, answer v.</summary>
    VariableTracking,
}

/// <summary>A task of the <c>longcontext</c> suite: a long text delivered in chunks and a question about it.</summary>
/// <param name="Id">Stable id.</param>
/// <param name="Instruction">The question.</param>
/// <param name="Difficulty">Number of facts that must be combined (hops) plus distractor needles.</param>
/// <param name="Question">The question kind.</param>
/// <param name="Chunks">The context, in reading order.</param>
/// <param name="Answer">The gold answer.</param>
/// <param name="EvidenceChunks">Indices of the chunks holding the facts the answer needs (for memory-update rewards).</param>
public sealed partial record LongContextTask(string Id, string Instruction, int Difficulty, LongContextQuestion Question,
    IReadOnlyList<string> Chunks, string Answer, IReadOnlyList<int> EvidenceChunks)
    : Agentic.Core.Agents.AgentTask(Id, LongContextSuite.Name, Instruction, Difficulty)
{
    /// <summary>
    /// The sentences the answer needs, as they stand in <see cref="Chunks"/> (without the final period), in reading order:
    /// the asked key's needle (<c>The special code for K is V</c>), or every assignment of the tracking chain
    /// (<c>VAR X = V</c>, <c>VAR Y = VAR X</c>, ...). Distractor needles are not evidence. For memory rewards.
    /// </summary>
    public IReadOnlyList<string> EvidenceFacts { get; init; } = [];

    /// <summary>
    /// What the user who asks the question knows (<see cref="ISimulatedUserEnvironment.GetUserSlots"/>): the asked key
    /// (<c>"key" → "ember"</c>) or the asked variable (<c>"variable" → "VAR Z"</c>), as the instruction names it.
    /// This is what user noise may withhold, blur or correct; empty when the instruction names neither.
    /// </summary>
    public IReadOnlyDictionary<string, string> UserSlots =>
        AskedKey().Match(Instruction) is { Success: true } key ? new Dictionary<string, string> { ["key"] = key.Groups[1].Value }
        : AskedVariable().Match(Instruction) is { Success: true } variable ? new Dictionary<string, string> { ["variable"] = variable.Groups[1].Value }
        : new Dictionary<string, string>();

    [GeneratedRegex(@"special code for (\w+)\?")]
    private static partial Regex AskedKey();

    [GeneratedRegex(@"(VAR \w+) hold\?")]
    private static partial Regex AskedVariable();
}
