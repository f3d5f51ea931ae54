using System.Text.RegularExpressions;
using Agentic.Core.Agents;
using Agentic.Training.Tasks.LongContext;
using Microsoft.Extensions.AI;

namespace Agentic.Rl.Rewards;

/// <summary>Options of <see cref="MemoryEvidenceReward"/>.</summary>
public sealed class MemoryEvidenceRewardOptions
{
    /// <summary>
    /// Gets or sets how to read the evidence of a task: the sentences the answer needs, verbatim as the context holds them.
    /// A task without evidence (<see langword="null"/> or empty) scores 0. Default: <see cref="LongContextTask.EvidenceFacts"/>,
    /// else <see langword="null"/>.
    /// </summary>
    public Func<AgentTask, IReadOnlyList<string>?> EvidenceFacts { get; set; } = static task => task is LongContextTask l ? l.EvidenceFacts : null;

    /// <summary>Gets or sets the tag of the memory block in the agent's messages. Default <c>memory</c>.</summary>
    public string MemoryTag { get; set; } = "memory";

    /// <summary>Throws when an option is invalid.</summary>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException"><see cref="EvidenceFacts"/> is null or <see cref="MemoryTag"/> is not a word.</exception>
    public void Validate()
    {
        if (EvidenceFacts is null) throw new System.ComponentModel.DataAnnotations.ValidationException("EvidenceFacts must not be null.");
        if (string.IsNullOrEmpty(MemoryTag) || !MemoryTag.All(char.IsAsciiLetterOrDigit))
            throw new System.ComponentModel.DataAnnotations.ValidationException("MemoryTag must be a non-empty ASCII word.");
    }
}

/// <summary>
/// Credit for a memory that holds the evidence verbatim (in the spirit of GRU-Mem's update reward, which asks the memory
/// to change exactly when a chunk brings evidence): for each assistant message written after some evidence sentence has
/// appeared in the messages before it, the share of those sentences its memory block holds character for character;
/// the score is the mean over such messages, in [0, 1]. A message without a memory block holds none; an episode with no
/// such message (no evidence read, or a task without evidence) scores 0. Named <c>memory_evidence</c>.
/// </summary>
/// <remarks>
/// The outcome reward of a reading task judges only the final answer, so among rollouts that all answer right (or all
/// wrong) it cannot tell the one whose notes kept the needle from the one whose notes garbled its key or digits; and a
/// group of a near-solved suite usually is all right, and is dropped. This term ranks those notes, so copying the
/// evidence faithfully, the skill the answer rests on, gets a gradient in every group. Give it a weight well below the
/// outcome's so that a right answer still outranks a faithful note.
/// </remarks>
public sealed class MemoryEvidenceReward : RewardShaper
{
    /// <summary>The default name, <c>memory_evidence</c>.</summary>
    public const string DefaultName = "memory_evidence";

    private readonly Func<AgentTask, IReadOnlyList<string>?> _evidence;
    private readonly Regex _memory;

    /// <summary>Creates the shaper.</summary>
    /// <param name="options">The options (read once), or <see langword="null"/> for the defaults.</param>
    /// <exception cref="System.ComponentModel.DataAnnotations.ValidationException">The options are invalid.</exception>
    public MemoryEvidenceReward(MemoryEvidenceRewardOptions? options = null)
        : base(DefaultName)
    {
        options ??= new MemoryEvidenceRewardOptions();
        options.Validate();
        _evidence = options.EvidenceFacts;
        _memory = new Regex($"<{options.MemoryTag}>(.*?)</{options.MemoryTag}>", RegexOptions.Singleline | RegexOptions.CultureInvariant);
    }

    /// <inheritdoc />
    protected override double ScoreCore(Trajectory trajectory)
    {
        if (_evidence(trajectory.Task) is not { Count: > 0 } facts) return 0;
        // Which facts the agent has been shown so far (its own messages do not count as having read them); a fact
        // stands within one message, so each message is searched once.
        var read = new bool[facts.Count];
        double total = 0;
        int scored = 0;
        foreach (var message in trajectory.Messages)
        {
            var text = message.Text ?? "";
            if (message.Role != ChatRole.Assistant)
            {
                for (int i = 0; i < facts.Count; i++) read[i] |= text.Contains(facts[i], StringComparison.Ordinal);
                continue;
            }
            int seen = read.Count(r => r);
            if (seen == 0) continue;
            var memory = string.Join("\n", _memory.Matches(text).Select(m => m.Groups[1].Value));
            total += Enumerable.Range(0, facts.Count).Count(i => read[i] && memory.Contains(facts[i], StringComparison.Ordinal)) / (double)seen;
            scored++;
        }
        return scored == 0 ? 0 : total / scored;
    }
}
