using System.ComponentModel.DataAnnotations;
using Agentic.Core.Agents;
using Agentic.Training.Evaluation;
using Agentic.Training.Tasks.SearchQa;

namespace Agentic.Rl.Rewards;

/// <summary>Options of <see cref="RetrievalReward"/>.</summary>
public sealed class RetrievalRewardOptions
{
    /// <summary>Gets or sets whether the answer is scored by exact match (<c>answer_em</c>) instead of token F1 (<c>answer_f1</c>). Default false (F1).</summary>
    public bool UseExactMatch { get; set; }

    /// <summary>Gets or sets the credit when the answer scores 0 but the gold answer appeared inside a <c>&lt;refine&gt;</c> block. Default 0.1 (AutoRefine).</summary>
    [Range(0.0, 1.0)] public double RefineCredit { get; set; } = 0.1;

    /// <summary>
    /// Gets or sets how to read the gold answer of a task, for the fallbacks used when the environment did not report
    /// <c>answer_f1</c>/<c>answer_em</c> or <c>gold_in_refine</c>. Default: <see cref="SearchQaTask.Answer"/> for a
    /// <see cref="SearchQaTask"/>, else <see langword="null"/> (no fallback).
    /// </summary>
    public Func<AgentTask, string?> GoldAnswer { get; set; } = static task => (task as SearchQaTask)?.Answer;

    /// <summary>Throws when an option is out of range.</summary>
    /// <exception cref="ValidationException"><see cref="RefineCredit"/> is outside [0, 1] or <see cref="GoldAnswer"/> is null.</exception>
    public void Validate()
    {
        Validator.ValidateObject(this, new ValidationContext(this), validateAllProperties: true);
        if (GoldAnswer is null) throw new ValidationException("GoldAnswer must not be null.");
    }
}

/// <summary>
/// AutoRefine's retrieval-aware outcome reward for search QA: the answer's F1 (or exact match, see
/// <see cref="RetrievalRewardOptions.UseExactMatch"/>) when it is positive; else
/// <see cref="RetrievalRewardOptions.RefineCredit"/> (0.1) when the gold answer appeared inside a <c>&lt;refine&gt;</c>
/// block; else 0. Named <c>retrieval</c>.
/// </summary>
/// <remarks>
/// The figures come from the environment's <see cref="Trajectory.Info"/> (<c>answer_f1</c>, <c>answer_em</c>,
/// <c>gold_in_refine</c>, as reported by the search-QA environment). When one is missing and the gold answer is known
/// (<see cref="RetrievalRewardOptions.GoldAnswer"/>), it is recomputed from the assistant messages: the answer is the
/// last complete <c>&lt;answer&gt;</c> block, and the refine check looks, after the same normalization as
/// <see cref="AnswerMetrics"/>, for the gold answer inside every complete <c>&lt;refine&gt;</c> block. Without either,
/// the missing figure counts as 0.
/// </remarks>
public sealed class RetrievalReward : RewardShaper
{
    /// <summary>The default name, <c>retrieval</c>.</summary>
    public const string DefaultName = "retrieval";

    private readonly bool _exactMatch;
    private readonly double _refineCredit;
    private readonly Func<AgentTask, string?> _goldAnswer;

    /// <summary>Creates the shaper.</summary>
    /// <param name="options">The options (read once), or <see langword="null"/> for the defaults.</param>
    /// <exception cref="ValidationException">The options are invalid.</exception>
    public RetrievalReward(RetrievalRewardOptions? options = null)
        : base(DefaultName)
    {
        options ??= new RetrievalRewardOptions();
        options.Validate();
        _exactMatch = options.UseExactMatch;
        _refineCredit = options.RefineCredit;
        _goldAnswer = options.GoldAnswer;
    }

    /// <inheritdoc />
    protected override double ScoreCore(Trajectory trajectory)
    {
        string? gold = null;
        bool goldRead = false;
        string? Gold()
        {
            if (!goldRead) (gold, goldRead) = (_goldAnswer(trajectory.Task), true);
            return gold;
        }

        double answer;
        if (trajectory.Info.TryGetValue(_exactMatch ? "answer_em" : "answer_f1", out double reported)) answer = reported;
        else if (Gold() is { } g)
        {
            var predicted = AssistantAnswers.Final(trajectory);
            answer = _exactMatch ? AnswerMetrics.ExactMatch(predicted, g) : AnswerMetrics.F1(predicted, g);
        }
        else answer = 0;
        if (answer > 0) return Math.Min(answer, 1);

        bool goldInRefine;
        if (trajectory.Info.TryGetValue("gold_in_refine", out double inRefine)) goldInRefine = inRefine > 0;
        else if (Gold() is { } g && AnswerMetrics.Normalize(g) is { Length: > 0 } normalized)
        {
            goldInRefine = AssistantAnswers.Texts(trajectory)
                .SelectMany(AutoRefineFormat.Refinements)
                .Any(r => AnswerMetrics.Normalize(r).Contains(normalized, StringComparison.Ordinal));
        }
        else goldInRefine = false;
        return goldInRefine ? _refineCredit : 0;
    }
}
