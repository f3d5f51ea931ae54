using System.Text.RegularExpressions;
using Agentic.Core.Agents;
using Agentic.Training.Tasks.LongContext;
using Agentic.Training.Tasks.SearchQa;

namespace Agentic.Rl.Rewards;

/// <summary>Options of <see cref="StatedKeyReward"/>.</summary>
public sealed class StatedKeyRewardOptions
{
    /// <summary>
    /// Gets or sets how to read the statement a task's answer should rest on: the words that name what is asked, written
    /// before the answer (a task without one, <see langword="null"/> or empty, scores 0). Default: for a longcontext
    /// question about a key, the asked key's needle up to its value (<c>The special code for ember is</c>); else
    /// <see langword="null"/> (variable chains are not stated).
    /// </summary>
    public Func<AgentTask, string?> Statement { get; set; } = DefaultStatement;

    /// <summary>Gets or sets the tag of the memory block, whose text does not count as stated. Default <c>memory</c>.</summary>
    public string MemoryTag { get; set; } = "memory";

    /// <summary>Throws when an option is invalid.</summary>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException"><see cref="Statement"/> is null or <see cref="MemoryTag"/> is not a word.</exception>
    public void Validate()
    {
        if (Statement is null) throw new System.ComponentModel.DataAnnotations.ValidationException("Statement must not be null.");
        if (string.IsNullOrEmpty(MemoryTag) || !MemoryTag.All(char.IsAsciiLetterOrDigit))
            throw new System.ComponentModel.DataAnnotations.ValidationException("MemoryTag must be a non-empty ASCII word.");
    }

    private static string? DefaultStatement(AgentTask task) =>
        task is LongContextTask { Question: not LongContextQuestion.VariableTracking, EvidenceFacts: [var fact, ..] } l
        && fact.EndsWith(" " + l.Answer, StringComparison.Ordinal)
            ? fact[..^(l.Answer.Length + 1)]
            : null;
}

/// <summary>
/// Credit for naming the asked key where the answer is worked out: 1 when the message that gives the final answer
/// states the task's statement (<see cref="StatedKeyRewardOptions.Statement"/>, for example <c>The special code for
/// ember is</c>) outside its memory block, before the answer; else 0. The value after it is not judged here (the outcome
/// judges the answer). Named <c>stated_key</c>.
/// </summary>
/// <remarks>
/// The longcontext expert states the asked fact on the line before its answer (<c>The special code for ember is
/// 494916</c>), so the code is copied from the needle that follows the same words. What goes wrong in the policy is
/// mostly the key: it names the key of the needle nearest in its memory instead of the one in the question, and then
/// copies that needle's code, either after reading both or before the asked key's section has arrived. The outcome
/// gives such a group signal only when some rollout gets the whole answer right; this term ranks the rollouts that
/// name the asked key above those that name another, in every group. Give it a weight well below the outcome's.
/// </remarks>
public sealed class StatedKeyReward : RewardShaper
{
    /// <summary>The default name, <c>stated_key</c>.</summary>
    public const string DefaultName = "stated_key";

    private readonly Func<AgentTask, string?> _statement;
    private readonly Regex _memory;

    /// <summary>Creates the shaper.</summary>
    /// <param name="options">The options (read once), or <see langword="null"/> for the defaults.</param>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are invalid.</exception>
    public StatedKeyReward(StatedKeyRewardOptions? options = null)
        : base(DefaultName)
    {
        options ??= new StatedKeyRewardOptions();
        options.Validate();
        _statement = options.Statement;
        _memory = new Regex($"<{options.MemoryTag}>.*?</{options.MemoryTag}>", RegexOptions.Singleline | RegexOptions.CultureInvariant);
    }

    /// <inheritdoc />
    protected override double ScoreCore(Trajectory trajectory)
    {
        if (_statement(trajectory.Task) is not { Length: > 0 } statement) return 0;
        // The message that gives the final answer, and its text before the answer, without the memory block.
        var answering = AssistantAnswers.Texts(trajectory).LastOrDefault(t => AutoRefineFormat.Answer(t) is not null);
        if (answering is null) return 0;
        var before = _memory.Replace(answering[..answering.LastIndexOf("<answer>", StringComparison.Ordinal)], "\n");
        return before.Contains(statement, StringComparison.Ordinal) ? 1 : 0;
    }
}
